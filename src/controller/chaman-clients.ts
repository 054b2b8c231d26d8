// Chaman clients per credential: the operator-wide one, and one per sender credentials Secret
// (credentialsSecretRef), rebuilt when that Secret changes. Also the permission catalog cache.
import type { ChamanSender } from '../api/types.generated.ts';
import { ChamanHttpClient, type ChamanAuth, type ChamanHttpClientOptions } from '../chaman/http-client.ts';
import { ChamanTraffic } from '../chaman/traffic.ts';
import type { ChamanClient } from '../chaman/types.ts';
import type { ChannelType, Permission } from '../domain/types.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { NeedsUserError } from './driver/error-policy.ts';
import { namesOperatorSecret, type SecretName } from '../domain/tenancy.ts';
import type { KubeStore, SecretContent } from './ports.ts';

/** The Chaman client hook that feeds chaman_api_requests_total and its durations: every attempt counts, retries included. */
export function chamanRequestMetrics(metrics: OperatorMetrics): NonNullable<ChamanHttpClientOptions['onRequest']> {
  return (e) => {
    metrics.apiRequests.inc({ operation: e.operation, code: e.status !== undefined ? String(e.status) : 'error' });
    metrics.apiRequestDuration.observe({ operation: e.operation }, e.durationMs / 1000);
  };
}

export type ClientFactory = (auth: ChamanAuth) => ChamanClient;

/**
 * Builds the operator's Chaman clients: the operator-wide one and one per sender credentials Secret.
 * All of them share one ChamanTraffic, made here from `rateLimit` and `breaker` unless `traffic` is
 * given: `--chaman-rate-limit` bounds the whole operator whatever the credential (issue 10 item 6);
 * each client keeps a circuit breaker of its own, so one credential's 429s or failures never stop
 * another's calls (issue 9 item 13, issue 16 item 5).
 */
export function clientFactory(base: Omit<ChamanHttpClientOptions, 'auth'>): ClientFactory {
  const traffic = base.traffic ?? new ChamanTraffic({ rateLimit: base.rateLimit, breaker: base.breaker, clock: base.clock });
  return (auth) => new ChamanHttpClient({ ...base, auth, traffic });
}

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

type ObjectName = { namespace?: string | undefined; name?: string | undefined };

/** The Secret's credentials, or a NeedsUserError that says which keys it needs. */
function authFrom(secret: SecretContent, secretName: string): ChamanAuth {
  const token = text(secret.data.token)?.trim();
  const cert = text(secret.data['tls.crt']);
  const privateKey = text(secret.data['tls.key']);
  const ca = text(secret.data['ca.crt']);
  if (token) return { kind: 'token', token, ...(ca ? { ca } : {}) };
  if (cert && privateKey) return { kind: 'mtls', cert, key: privateKey, ...(ca ? { ca } : {}) };
  throw new NeedsUserError(`spec.credentialsSecretRef: Secret "${secretName}" has neither "token" nor "tls.crt" + "tls.key".`, { stalledReason: 'InvalidCredentials' });
}

/**
 * The operator's Chaman clients: the operator-wide one, and one per sender credentials Secret, rebuilt
 * when the Secret changes and closed when the Secret or the last sender using it goes, so a credential
 * stays in memory no longer than a sender needs it (issue 16 item 8).
 */
export class ChamanClients {
  private readonly operatorClient: ChamanClient | undefined;
  private readonly factory: ClientFactory;
  private readonly kube: KubeStore;
  private readonly operatorSecret: SecretName | undefined;
  /** by Secret key (namespace/name) */
  private readonly perSecret = new Map<string, { version: string; client: ChamanClient }>();
  /** by sender key (namespace/name): the Secret key whose client the sender last used */
  private readonly secretOfSender = new Map<string, string>();

  /** `operatorSecret`: the Secret of the operator's own credentials, which no sender may name. */
  constructor(operatorClient: ChamanClient | undefined, factory: ClientFactory, kube: KubeStore, operatorSecret?: SecretName) {
    this.operatorClient = operatorClient;
    this.factory = factory;
    this.kube = kube;
    this.operatorSecret = operatorSecret;
  }

  /** Per-Secret clients held now. */
  get size(): number {
    return this.perSecret.size;
  }

  async forSender(sender: ChamanSender): Promise<ChamanClient> {
    const ref = sender.spec.credentialsSecretRef;
    const namespace = sender.metadata.namespace ?? 'default';
    const senderKey = `${namespace}/${sender.metadata.name}`;
    if (!ref) {
      this.use(senderKey, undefined);
      if (!this.operatorClient) {
        throw new NeedsUserError('No Chaman credentials: set --chaman-token-file or --chaman-client-cert/--chaman-client-key, or spec.credentialsSecretRef on the ChamanSender.', { stalledReason: 'NoCredentials' });
      }
      return this.operatorClient;
    }
    // The operator's own credentials would let this namespace act with no grant (issue 16 item 7).
    if (namesOperatorSecret(sender, this.operatorSecret)) {
      this.use(senderKey, undefined);
      throw new NeedsUserError(
        `spec.credentialsSecretRef: Secret "${ref.name}" holds the operator's own Chaman credentials (--chaman-credentials-secret ${namespace}/${ref.name}), ` +
          'which no ChamanSender may name as its own. Remove credentialsSecretRef and ask a cluster admin for a ChamanSenderGrant, ' +
          'or create a Secret of your own with "token", or "tls.crt" and "tls.key".',
        { stalledReason: 'InvalidCredentials' },
      );
    }
    const key = `${namespace}/${ref.name}`;
    this.use(senderKey, key);
    // The metadata cache tells whether the Secret changed: no read while the client made from it is current.
    const known = this.perSecret.get(key);
    if (known && known.version === this.kube.secretVersion(namespace, ref.name)) return known.client;
    const secret = await this.kube.readSecret(namespace, ref.name);
    if (secret === 'absent') {
      this.drop(key);
      throw new NeedsUserError(`spec.credentialsSecretRef: Secret "${ref.name}" does not exist in namespace ${namespace}; create it with "token", or "tls.crt" and "tls.key".`, { stalledReason: 'SecretNotFound' });
    }
    const cached = this.perSecret.get(key);
    if (cached?.version === secret.resourceVersion) return cached.client;
    const client = this.factory(authFrom(secret, ref.name));
    // Every sender using the Secret went while it was read: the client serves this call, and is not kept.
    if (!this.inUse(key)) return client;
    this.perSecret.set(key, { version: secret.resourceVersion, client });
    // The Secret changed: its old client's connections close once its calls in flight are done.
    if (cached) closeQuietly(cached.client);
    return client;
  }

  /** The sender is gone (its metadata): its Secret's client goes too, unless another sender still uses it. */
  forgetSender(sender: ObjectName): void {
    this.use(`${sender.namespace ?? 'default'}/${sender.name}`, undefined);
  }

  /** The Secret is gone (its metadata): so is the client made from it (a sender naming it then stalls). */
  forgetSecret(secret: ObjectName): void {
    this.drop(`${secret.namespace ?? 'default'}/${secret.name}`);
  }

  /** Closes the per-Secret clients (at shutdown, after the last reconcile). The operator-wide client is its owner's to close. */
  async close(): Promise<void> {
    const clients = [...this.perSecret.values()].map((entry) => entry.client);
    this.perSecret.clear();
    this.secretOfSender.clear();
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  }

  /** Records which Secret the sender uses now; the Secret it used before loses its client when no sender uses it. */
  private use(senderKey: string, secretKey: string | undefined): void {
    const before = this.secretOfSender.get(senderKey);
    if (before === secretKey) return;
    if (secretKey === undefined) this.secretOfSender.delete(senderKey);
    else this.secretOfSender.set(senderKey, secretKey);
    if (before !== undefined && !this.inUse(before)) this.drop(before);
  }

  private inUse(secretKey: string): boolean {
    for (const used of this.secretOfSender.values()) if (used === secretKey) return true;
    return false;
  }

  private drop(secretKey: string): void {
    const entry = this.perSecret.get(secretKey);
    if (!entry) return;
    this.perSecret.delete(secretKey);
    closeQuietly(entry.client);
  }
}

function closeQuietly(client: ChamanClient): void {
  void client.close().catch(() => undefined);
}

/** The catalog read from Chaman (it can grow), kept for `ttlMs` per client and channel type. */
export class CatalogCache {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new WeakMap<ChamanClient, Map<string, { at: number; permissions: Permission[] }>>();

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /**
   * Keyed by the client itself (one per credential), fetched through `signal` when it must be read:
   * the per-reconcile views of a client share one cached catalog.
   */
  async get(client: ChamanClient, signal?: AbortSignal, type?: ChannelType): Promise<Permission[]> {
    let perClient = this.entries.get(client);
    if (!perClient) this.entries.set(client, (perClient = new Map()));
    const key = type ?? '*';
    const hit = perClient.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.permissions;
    const permissions = await (signal ? client.withSignal(signal) : client).listPermissions(type);
    perClient.set(key, { at: this.now(), permissions });
    return permissions;
  }
}
