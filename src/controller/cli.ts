// `chaman-operator run`: flags, each with an environment equivalent (flags win).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ChamanHttpClient, type ChamanAuth } from '../chaman/http-client.ts';
import { insecureHttpProblem } from '../chaman/insecure-http.ts';
import { tokenFromFile } from '../chaman/token-file.ts';
import { ChamanTraffic } from '../chaman/traffic.ts';
import { parseDuration } from '../domain/index.ts';
import { DEFAULT_SHA1_CUTOFF } from '../domain/types.ts';
import { createKubeClient } from '../kube/client.ts';
import { ConcurrencyLimit, adaptToKubeRequests, fixedConcurrency } from '../kube/concurrency-limit.ts';
import { countKubeRequests } from '../kube/index.ts';
import { createLogger } from '../observability/logger.ts';
import { createOperatorMetrics, type OperatorMetrics } from '../observability/metrics.ts';
import { startObservabilityServer } from '../observability/server.ts';
import { chamanRequestMetrics, clientFactory } from './chaman-clients.ts';
import { Operator } from './operator.ts';
import type { Settings } from './ports.ts';
import { resolveShard } from './sharding.ts';

interface Flag {
  env: string;
  help: string;
  default?: string;
  multiple?: boolean;
  boolean?: boolean;
}

const FLAGS: Record<string, Flag> = {
  kubeconfig: { env: 'KUBECONFIG', help: 'kubeconfig file (default: in-cluster, else ~/.kube/config)' },
  namespace: { env: 'CHAMAN_NAMESPACES', help: 'namespace to watch, repeatable (env: comma-separated; default: all)', multiple: true },
  'chaman-url': { env: 'CHAMAN_URL', help: 'base URL of the Chaman backend, e.g. https://chaman.example/api/v1' },
  'chaman-token-file': { env: 'CHAMAN_TOKEN_FILE', help: 'file holding a bearer token for Chaman' },
  'chaman-client-cert': { env: 'CHAMAN_CLIENT_CERT', help: 'PEM client certificate for mTLS' },
  'chaman-client-key': { env: 'CHAMAN_CLIENT_KEY', help: 'PEM private key of the client certificate' },
  'chaman-ca': { env: 'CHAMAN_CA', help: 'PEM CA bundle that signs the Chaman server certificate' },
  'allow-insecure-http': { env: 'CHAMAN_ALLOW_INSECURE_HTTP', help: 'accept a plain http:// --chaman-url off loopback (tokens then travel in clear text: test networks only)', boolean: true },
  'chaman-credentials-secret': { env: 'CHAMAN_CREDENTIALS_SECRET', help: "the operator's own credentials Secret, NAMESPACE/NAME, which no ChamanSender may name (default: chaman-api in POD_NAMESPACE)" },
  concurrency: { env: 'CHAMAN_CONCURRENCY', help: 'reconciles in parallel, fixed (default: adaptive, from the API server latencies and 429s)' },
  'max-concurrency': { env: 'CHAMAN_MAX_CONCURRENCY', help: 'ceiling of the adaptive concurrency', default: '32' },
  'resync-period': { env: 'CHAMAN_RESYNC_PERIOD', help: 'how often Chaman is read to find drift', default: '10m' },
  'reconcile-timeout': { env: 'CHAMAN_RECONCILE_TIMEOUT', help: 'deadline of one reconcile, Chaman calls included', default: '60s' },
  'shutdown-timeout': { env: 'CHAMAN_SHUTDOWN_TIMEOUT', help: 'on SIGTERM, how long reconciles in flight may finish (keep below the Pod grace period)', default: '20s' },
  'cert-expiry-warning': { env: 'CHAMAN_CERT_EXPIRY_WARNING', help: 'default warning window of CertExpiring', default: '720h' },
  'default-deletion-policy': { env: 'CHAMAN_DEFAULT_DELETION_POLICY', help: 'Delete or Orphan', default: 'Delete' },
  'chaman-rate-limit': { env: 'CHAMAN_RATE_LIMIT', help: 'Chaman calls per second (token bucket; burst = 2×)', default: '5' },
  'sha1-cutoff': { env: 'CHAMAN_SHA1_CUTOFF', help: 'from when SHA-1 is refused for FTP, SFTP and SOAP (R7)', default: DEFAULT_SHA1_CUTOFF.toISOString() },
  'require-sender-grant': { env: 'CHAMAN_REQUIRE_SENDER_GRANT', help: 'act for a sender with the operator-wide credentials only when a ChamanSenderGrant covers it (true or false)', default: 'true' },
  'shard-count': { env: 'CHAMAN_SHARD_COUNT', help: 'replicas that share the namespaces by hash, each with its own Lease', default: '1' },
  'shard-index': { env: 'CHAMAN_SHARD_INDEX', help: "this replica's shard (default: the ordinal of a StatefulSet pod name)" },
  'secret-label-selector': { env: 'CHAMAN_SECRET_LABEL_SELECTOR', help: 'watch only the Secrets with these labels (a change to another referenced Secret waits for the next resync)' },
  'leader-elect': { env: 'CHAMAN_LEADER_ELECT', help: 'elect a leader with a Lease (for several replicas)', boolean: true },
  'leader-election-namespace': { env: 'POD_NAMESPACE', help: 'namespace of the Lease', default: 'chaman-system' },
  'metrics-addr': { env: 'CHAMAN_METRICS_ADDR', help: 'address of /metrics', default: ':8080' },
  'health-addr': { env: 'CHAMAN_HEALTH_ADDR', help: 'address of /healthz and /readyz', default: ':8081' },
  'log-level': { env: 'CHAMAN_LOG_LEVEL', help: 'trace, debug, info, warn, error', default: 'info' },
};

export function usage(): string {
  const rows = Object.entries(FLAGS).map(
    ([name, f]) => `  --${name.padEnd(26)} ${f.help}${f.default ? ` (default ${f.default})` : ''} [${f.env}]`,
  );
  return `Usage: chaman-operator run [flags]\n\n${rows.join('\n')}`;
}

export type RunConfig = ReturnType<typeof readConfig>;

/** Flags, then environment, then defaults; throws a usage error with the flag's name. */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(FLAGS).map(([name, f]) => [name, f.boolean ? { type: 'boolean' as const } : { type: 'string' as const, multiple: !!f.multiple }]),
    ),
    strict: true,
  });
  const get = (name: string): string | undefined => {
    const v = values[name];
    if (Array.isArray(v)) return v.join(',');
    if (typeof v === 'boolean') return String(v);
    return v ?? env[FLAGS[name]!.env] ?? FLAGS[name]!.default;
  };
  const duration = (name: string): number => {
    try {
      return parseDuration(get(name)!);
    } catch {
      throw new Error(`--${name}: "${get(name)}" is not a duration such as 30s, 10m or 720h`);
    }
  };
  const positive = (name: string): number => {
    const n = Number(get(name));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const count = (name: string): number => {
    const n = Number(get(name));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, not "${get(name)}"`);
    return n;
  };
  const policy = get('default-deletion-policy');
  if (policy !== 'Delete' && policy !== 'Orphan') throw new Error('--default-deletion-policy must be Delete or Orphan');
  const requireGrant = get('require-sender-grant');
  if (requireGrant !== 'true' && requireGrant !== 'false') throw new Error('--require-sender-grant must be true or false');
  const chamanUrl = get('chaman-url');
  const allowInsecureHttp = get('allow-insecure-http') === 'true';
  if (chamanUrl !== undefined) {
    if (!URL.canParse(chamanUrl)) throw new Error(`--chaman-url: "${chamanUrl}" is not a URL such as https://chaman.example`);
    const insecure = insecureHttpProblem(chamanUrl, allowInsecureHttp);
    if (insecure) throw new Error(insecure);
  }
  const sha1Cutoff = new Date(get('sha1-cutoff')!);
  if (Number.isNaN(sha1Cutoff.getTime())) throw new Error('--sha1-cutoff must be an RFC 3339 date');
  return {
    kubeconfig: get('kubeconfig'),
    namespaces: (get('namespace') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    chamanUrl,
    allowInsecureHttp,
    chamanCredentialsSecret: credentialsSecret(get('chaman-credentials-secret') ?? `${env.POD_NAMESPACE ?? 'chaman-system'}/chaman-api`),
    tokenFile: get('chaman-token-file'),
    clientCert: get('chaman-client-cert'),
    clientKey: get('chaman-client-key'),
    ca: get('chaman-ca'),
    concurrency: get('concurrency') === undefined ? undefined : count('concurrency'),
    maxConcurrency: count('max-concurrency'),
    resyncPeriodMs: duration('resync-period'),
    reconcileTimeoutMs: duration('reconcile-timeout'),
    requireSenderGrant: requireGrant === 'true',
    shutdownTimeoutMs: duration('shutdown-timeout'),
    certExpiryWarningMs: duration('cert-expiry-warning'),
    defaultDeletionPolicy: policy as 'Delete' | 'Orphan',
    rateLimit: positive('chaman-rate-limit'),
    sha1Cutoff,
    shard: resolveShard(Number(get('shard-count')), get('shard-index') === undefined ? undefined : Number(get('shard-index')), env.POD_NAME),
    secretLabelSelector: get('secret-label-selector'),
    leaderElect: get('leader-elect') === 'true',
    leaderElectionNamespace: get('leader-election-namespace')!,
    metricsAddr: get('metrics-addr')!,
    healthAddr: get('health-addr')!,
    logLevel: get('log-level')!,
  };
}

/** `NAMESPACE/NAME` of the operator's own credentials Secret (the one manifests/base mounts). */
function credentialsSecret(value: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0) throw new Error(`--chaman-credentials-secret must be NAMESPACE/NAME, not "${value}"`);
  return { namespace, name };
}

/**
 * The operator-wide Chaman credentials, read from files (never from flags' values: no secret in `ps`).
 * The token file is read again whenever it changes (a rotated Secret volume).
 */
export function operatorAuth(config: Pick<RunConfig, 'ca' | 'tokenFile' | 'clientCert' | 'clientKey'>): ChamanAuth | undefined {
  const ca = config.ca ? readFileSync(config.ca, 'utf8') : undefined;
  if (config.tokenFile) return { kind: 'token', token: tokenFromFile(config.tokenFile), ...(ca ? { ca } : {}) };
  if (config.clientCert || config.clientKey) {
    if (!config.clientCert || !config.clientKey) throw new Error('--chaman-client-cert and --chaman-client-key go together');
    return { kind: 'mtls', cert: readFileSync(config.clientCert, 'utf8'), key: readFileSync(config.clientKey, 'utf8'), ...(ca ? { ca } : {}) };
  }
  return undefined;
}

/** Reconciles in flight follow the API server's pace: from 4, up to `max` (issue 19 item 1). */
function adaptiveConcurrency(kube: Parameters<typeof adaptToKubeRequests>[0], max: number, saturated: () => boolean): ConcurrencyLimit {
  const limit = new ConcurrencyLimit({ max, initial: Math.min(4, max), now: () => performance.now(), saturated });
  adaptToKubeRequests(kube, limit);
  return limit;
}

/** One client per credential, all behind one token bucket; one request at a time until Chaman has answered one. */
function chamanClients(config: RunConfig, metrics: OperatorMetrics) {
  return clientFactory({
    baseUrl: config.chamanUrl!,
    allowInsecureHttp: config.allowInsecureHttp,
    traffic: new ChamanTraffic({ rateLimit: { ratePerSecond: config.rateLimit, burst: Math.max(1, Math.ceil(config.rateLimit * 2)) }, slowStart: {} }),
    onRequest: chamanRequestMetrics(metrics),
  });
}

/** What the kinds read of the flags. */
function settingsOf(config: RunConfig): Settings {
  return {
    defaultDeletionPolicy: config.defaultDeletionPolicy,
    certExpiryWarningMs: config.certExpiryWarningMs,
    resyncPeriodMs: config.resyncPeriodMs,
    sha1Cutoff: config.sha1Cutoff,
    reconcileTimeoutMs: config.reconcileTimeoutMs,
    requireSenderGrant: config.requireSenderGrant,
    chamanCredentialsSecret: config.chamanCredentialsSecret,
  };
}

export async function runOperatorCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  let config: RunConfig;
  try {
    config = readConfig(argv);
    if (!config.chamanUrl) throw new Error('--chaman-url (or CHAMAN_URL) is required');
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel });
  const metrics = createOperatorMetrics();
  const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}`;
  const factory = chamanClients(config, metrics);
  let auth: ChamanAuth | undefined;
  try {
    auth = operatorAuth(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(`cannot read the Chaman credentials: ${e.code === 'ENOENT' ? `no file ${e.path}` : e.message}`);
    return 2;
  }
  let lostLeadership = () => {};
  const kube = await createKubeClient({ kubeconfig: config.kubeconfig, userAgent: 'chaman-operator' });
  countKubeRequests(kube, metrics);
  let keysWaiting = () => false;
  const concurrency = config.concurrency !== undefined ? fixedConcurrency(config.concurrency) : adaptiveConcurrency(kube, config.maxConcurrency, () => keysWaiting());
  const operator = new Operator({
    kube,
    chaman: auth ? (factory(auth) as ChamanHttpClient) : undefined,
    clientFactory: factory,
    namespaces: config.namespaces,
    concurrency,
    settings: settingsOf(config),
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    ...(config.secretLabelSelector ? { secretLabelSelector: config.secretLabelSelector } : {}),
    ...(config.shard.count > 1 ? { shard: config.shard } : {}),
    // A replica that lost its Lease exits, so a fresh one campaigns (the work has already stopped).
    onLostLeadership: () => lostLeadership(),
    metrics,
    logger,
    identity,
    ...(config.leaderElect ? { leaderElection: { namespace: config.leaderElectionNamespace, name: 'chaman-operator' } } : {}),
  });
  keysWaiting = () => operator.queue.depth > 0;
  const server = await startObservabilityServer({
    registry: metrics.registry,
    metricsAddr: config.metricsAddr,
    healthAddr: config.healthAddr,
    readiness: { informers: () => operator.synced() || 'caches not synced yet' },
  });
  logger.info({ metrics: server.metricsUrl, health: server.healthUrl, chaman: config.chamanUrl, identity }, 'chaman-operator starting');

  let finish: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'shutting down: finishing reconciles in flight');
    await operator.stop();
    await server.close();
    await kube.close();
    logger.info('stopped');
    finish(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  process.once('SIGINT', () => void stop('SIGINT', 0));
  lostLeadership = () => void stop('lost leadership', 1);
  await operator.start();
  return stopped;
}
