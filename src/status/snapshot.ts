// What `status` reads from Kubernetes, before it is shaped into a view: the objects as the API server
// returns them, Secrets already reduced to their key names (values are dropped where they are read,
// src/status/read.ts), and the core/v1 Events of the namespace.
import { credentialBlocks, credentialSecretRefs } from '../api/credential-blocks.ts';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';

export type TargetKind = 'sender' | 'account' | 'all';

/** What the user asked about: one sender (and its accounts), one account (and its sender), or a namespace. */
export interface StatusTarget {
  namespace: string;
  kind: TargetKind;
  /** Absent for `all`. */
  name?: string;
}

/** A Secret with its values dropped: what `status` is allowed to know of it. */
export interface SecretSummary {
  name: string;
  keys: string[];
  resourceVersion?: string;
  /** The user running `status` may not read it (Kubernetes' view role does not carry Secrets): neither found nor missing. */
  forbidden?: true;
}

/** A core/v1 Event, as far as `status` reads it. Events written through events.k8s.io/v1 read back the same way. */
export interface CoreEvent {
  metadata?: { creationTimestamp?: string };
  involvedObject?: { uid?: string; kind?: string; name?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  reportingComponent?: string;
}

export interface StatusSnapshot {
  target: StatusTarget;
  senders: ChamanSender[];
  accounts: ChannelAccount[];
  /** By Secret name; a name the accounts reference that is absent here was not found. */
  secrets: Map<string, SecretSummary>;
  events: CoreEvent[];
  /** When Kubernetes was read. */
  observedAt: Date;
}

/** The Secrets a sender and its accounts reference, by name (what read.ts fetches). */
export function referencedSecretNames(senders: ChamanSender[], accounts: ChannelAccount[]): string[] {
  const names = new Set<string>();
  for (const s of senders) if (s.spec?.credentialsSecretRef?.name) names.add(s.spec.credentialsSecretRef.name);
  for (const a of accounts) {
    for (const c of a.spec?.certificates ?? []) names.add(c.secretRef.name);
    for (const ref of a.spec ? credentialBlocks(a.spec).flatMap(credentialSecretRefs) : []) names.add(ref.name);
  }
  return [...names].sort();
}
