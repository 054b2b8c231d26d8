// Shapes what was read from Kubernetes into the tree `status` prints: senders, their accounts, each
// account's certificates (spec and what Chaman holds) and the Secrets they name. Pure.
import { credentialBlocks, credentialSecretRefs } from '../api/credential-blocks.ts';
import type { ChamanSender, ChannelAccount } from '../api/types.generated.ts';
import { addProblems, missingObject, objectState, type RawObject } from './object-state.ts';
import type { CoreEvent, SecretSummary, StatusSnapshot } from './snapshot.ts';
import type { AccountView, CertificateView, SecretRole, SecretView, SenderView, StatusView } from './view.ts';

export interface BuildOptions {
  /** Events shown per object, newest first. */
  eventLimit: number;
}

export function buildStatusView(snapshot: StatusSnapshot, opts: BuildOptions): StatusView {
  const { target } = snapshot;
  const ns = target.namespace;
  const accountsBySender = new Map<string, ChannelAccount[]>();
  for (const a of [...snapshot.accounts].sort(byName)) {
    const sender = a.spec?.senderRef?.name ?? '';
    accountsBySender.set(sender, [...(accountsBySender.get(sender) ?? []), a]);
  }
  const toAccount = (a: ChannelAccount) => accountView(a, snapshot.secrets, snapshot.events, opts.eventLimit);
  const senders: SenderView[] = [...snapshot.senders].sort(byName).map((s) => senderView(s, (accountsBySender.get(s.metadata.name) ?? []).map(toAccount), snapshot, opts));
  // Accounts whose sender is not there: under a placeholder that says so.
  const shown = new Set(snapshot.senders.map((s) => s.metadata.name));
  if (target.kind === 'sender' && target.name && !shown.has(target.name) && !accountsBySender.has(target.name)) accountsBySender.set(target.name, []);
  for (const [name, accounts] of [...accountsBySender].sort(([a], [b]) => a.localeCompare(b))) {
    if (shown.has(name)) continue;
    const problem = accounts.length
      ? `ChamanSender ${ns}/${name} not found: create it, or fix spec.senderRef.name of the accounts below`
      : `ChamanSender ${ns}/${name} not found`;
    senders.push({ kind: 'ChamanSender', ...missingObject(name, ns, problem), accounts: accounts.map(toAccount) });
  }
  const empty = senders.length === 0 ? emptyMessage(snapshot) : undefined;
  const expiry = earliest(senders.map((s) => s.nextCertificateExpiry));
  return {
    formatVersion: '1',
    namespace: ns,
    observedAt: snapshot.observedAt.toISOString(),
    ready: !empty && senders.every((s) => s.ready && s.accounts.every((a) => a.ready)),
    ...(expiry ? { nextCertificateExpiry: expiry } : {}),
    senders,
    ...(empty ? { empty } : {}),
  };
}

function emptyMessage(snapshot: StatusSnapshot): string {
  const { kind, name, namespace } = snapshot.target;
  if (kind === 'account') return `ChannelAccount ${namespace}/${name} not found`;
  return `no ChamanSender or ChannelAccount in namespace ${namespace}`;
}

function senderView(s: ChamanSender, accounts: AccountView[], snapshot: StatusSnapshot, opts: BuildOptions): SenderView {
  const state = objectState('ChamanSender', s as RawObject, snapshot.events, opts.eventLimit);
  const ref = s.spec?.credentialsSecretRef;
  const credentialsSecret = ref ? secretView(ref.name, undefined, 'chaman-credentials', snapshot.secrets) : undefined;
  const view: SenderView = { kind: 'ChamanSender', ...state, senderNumber: s.spec?.senderNumber, ...(credentialsSecret ? { credentialsSecret } : {}), accounts };
  if (credentialsSecret) addProblems(view, secretProblems([credentialsSecret]));
  const expiry = earliest(accounts.map((a) => a.nextCertificateExpiry));
  if (expiry) view.nextCertificateExpiry = expiry;
  return view;
}

function accountView(a: ChannelAccount, secrets: Map<string, SecretSummary>, events: CoreEvent[], eventLimit: number): AccountView {
  const state = objectState('ChannelAccount', a as RawObject, events, eventLimit);
  const st = a.status ?? {};
  const spec = a.spec ?? ({} as ChannelAccount['spec']);
  const certificates: CertificateView[] = (spec.certificates ?? []).map((c) => {
    const held = (st.certificates ?? []).find((h) => h.name === c.name);
    return { name: c.name, inSpec: true, secret: secretView(c.secretRef.name, c.secretRef.key ?? 'tls.crt', 'certificate', secrets), ...(held ? { held: publicDetails(held) } : {}) };
  });
  for (const h of st.certificates ?? []) {
    if (!certificates.some((c) => c.name === h.name)) certificates.push({ name: h.name, inSpec: false, held: publicDetails(h) });
  }
  const other: SecretView[] = credentialBlocks(spec)
    .flatMap(credentialSecretRefs)
    .map((ref) => secretView(ref.name, ref.key ?? ref.defaultKey, ref.role, secrets));
  const view: AccountView = {
    kind: 'ChannelAccount',
    ...state,
    type: spec.type,
    ...(st.externalId ? { externalId: st.externalId } : {}),
    ...(st.username ? { username: st.username } : {}),
    ...(st.clientId ? { clientId: st.clientId } : {}),
    ...(st.nextCertificateExpiry ? { nextCertificateExpiry: st.nextCertificateExpiry } : {}),
    certificates,
    secrets: other,
  };
  addProblems(view, secretProblems([...certificates.flatMap((c) => (c.secret ? [c.secret] : [])), ...other]));
  return view;
}

function publicDetails(h: NonNullable<NonNullable<ChannelAccount['status']>['certificates']>[number]) {
  const { fileName, subject, issuer, serialNumber, notBefore, notAfter, sha256Fingerprint } = h;
  return { fileName, subject, issuer, serialNumber, notBefore, notAfter, sha256Fingerprint };
}

function secretView(name: string, key: string | undefined, role: SecretRole, secrets: Map<string, SecretSummary>): SecretView {
  const found = secrets.get(name);
  if (found?.forbidden) return { name, ...(key ? { key } : {}), role, found: false, forbidden: true, keys: [] };
  return { name, ...(key ? { key } : {}), role, found: !!found, keys: found?.keys ?? [], ...(found?.resourceVersion ? { resourceVersion: found.resourceVersion } : {}) };
}

function secretProblems(secrets: SecretView[]): string[] {
  return secrets.flatMap((s) => {
    if (s.forbidden) return [];
    if (!s.found) return [`Secret ${s.name} (${s.role}) not found`];
    if (s.key && !s.keys.includes(s.key)) return [`Secret ${s.name} (${s.role}) has no key ${s.key} (it has: ${s.keys.join(', ') || 'none'})`];
    return [];
  });
}

function earliest(times: (string | undefined)[]): string | undefined {
  const known = times.filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)));
  return known.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

function byName(a: { metadata: { name: string } }, b: { metadata: { name: string } }): number {
  return a.metadata.name.localeCompare(b.metadata.name);
}
