// The input of a plan: the manifests as `validate` reads them, checked by validate first (a plan of
// invalid input is refused with the findings), then sorted into senders, accounts, grants, namespace
// labels and the Secrets the input holds.
import type { SecretData } from '../api/semantic.ts';
import type { ChamanSender, ChamanSenderGrant, ChannelAccount } from '../api/types.generated.ts';
import { validatePaths } from '../validate/cli.ts';
import { collectInputSecrets, type InputDocument } from '../validate/input-secrets.ts';
import { loadManifests, type Decrypter } from '../validate/load.ts';
import type { ValidationFinding } from '../validate/validate.ts';

export interface PlanInput {
  senders: ChamanSender[];
  accounts: ChannelAccount[];
  grants: ChamanSenderGrant[];
  namespaceLabels: Map<string, Record<string, string>>;
  /** Readable Secret data by `namespace/name` (encrypted values are left out). */
  secrets: Map<string, SecretData>;
  /** Secrets whose values the input cannot show (SOPS without --decrypt-with, SealedSecret, ExternalSecret): the cluster's copy is read instead. */
  opaqueSecrets: Set<string>;
  /** Every namespace that holds a ChamanSender or ChannelAccount of the input. */
  namespaces: string[];
}

export type LoadedInput = { findings: ValidationFinding[]; input?: PlanInput };

type Manifest = { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, string> } };

/** Validate's checks, then the objects; `input` is undefined when validate found an error. */
export async function loadPlanInput(paths: string[], options: { now: Date; sha1Cutoff: Date; decrypt?: Decrypter }): Promise<LoadedInput> {
  const { findings } = await validatePaths(paths, options);
  if (findings.some((f) => f.severity === 'error')) return { findings };
  const loaded = await loadManifests(paths, { decrypt: options.decrypt });
  const input: PlanInput = { senders: [], accounts: [], grants: [], namespaceLabels: new Map(), secrets: new Map(), opaqueSecrets: new Set(), namespaces: [] };
  const documents: InputDocument[] = [];
  for (const source of loaded.documents) {
    const manifest = source.object as Manifest;
    if (typeof manifest !== 'object' || manifest === null || typeof manifest.kind !== 'string') continue;
    const name = String(manifest.metadata?.name ?? '');
    const clusterScoped = manifest.kind === 'Namespace' || manifest.kind === 'ChamanSenderGrant';
    const namespace = clusterScoped ? '' : String(manifest.metadata?.namespace ?? 'default');
    const object = structuredClone(manifest) as Record<string, unknown> & { metadata: Record<string, unknown> };
    if (!clusterScoped) object.metadata = { ...object.metadata, namespace };
    documents.push({ kind: manifest.kind, namespace, name, manifest, report: () => undefined });
    if (manifest.kind === 'ChamanSender') input.senders.push(object as unknown as ChamanSender);
    else if (manifest.kind === 'ChannelAccount') input.accounts.push(object as unknown as ChannelAccount);
    else if (manifest.kind === 'ChamanSenderGrant') input.grants.push(object as unknown as ChamanSenderGrant);
    else if (manifest.kind === 'Namespace') input.namespaceLabels.set(name, manifest.metadata?.labels ?? {});
  }
  for (const [key, secret] of collectInputSecrets(documents)) {
    if (secret.hidden.size > 0 || secret.anyKey) input.opaqueSecrets.add(key);
    else input.secrets.set(key, secret.data);
  }
  input.namespaces = [...new Set([...input.senders, ...input.accounts].map((o) => o.metadata.namespace ?? 'default'))].sort();
  return { findings, input };
}
