// An operator under test: the real Operator, in this process, against the real control plane and a
// real emulator over HTTP, watching one test namespace. Its logs are captured so tests can grep them.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import type { ChamanSender, ChannelAccount } from '../../../src/api/types.generated.ts';
import { ChamanHttpClient } from '../../../src/chaman/http-client.ts';
import type { ChamanClient } from '../../../src/chaman/types.ts';
import { chamanRequestMetrics, clientFactory } from '../../../src/controller/chaman-clients.ts';
import { Operator } from '../../../src/controller/operator.ts';
import type { Settings } from '../../../src/controller/ports.ts';
import { apply } from '../../../src/devtools/apply.ts';
import { DEFAULT_SHA1_CUTOFF } from '../../../src/domain/types.ts';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../src/emulator/server.ts';
import { RESOURCES, createKubeClient, resourcePath, type KubeClient, type KubeObject } from '../../../src/kube/client.ts';
import { countKubeRequests } from '../../../src/kube/index.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createOperatorMetrics, type OperatorMetrics } from '../../../src/observability/metrics.ts';
import { createNamespace, deleteNamespace, kubeconfigPath, waitFor } from './cluster.ts';

export interface RunningOperator {
  operator: Operator;
  metrics: OperatorMetrics;
  stop(): Promise<void>;
}

export interface Harness {
  namespace: string;
  kube: KubeClient;
  emulator: RunningEmulator;
  token: string;
  /** A client of the test's own, to look at Chaman or change it behind the operator's back. */
  chaman: ChamanHttpClient;
  /** Every log line of every operator this harness started, and of the emulator. */
  logs: string[];
  running: RunningOperator | undefined;
  /** `wrapChaman` decorates the operator's Chaman clients (to fail one chosen call, for instance). */
  startOperator(settings?: Partial<Settings>, token?: string, options?: { wrapChaman?: (client: ChamanClient) => ChamanClient; namespaces?: string[]; writeGrantStatus?: boolean }): Promise<RunningOperator>;
  apply(object: Record<string, unknown>): Promise<KubeObject>;
  get<T = ChannelAccount>(kind: 'ChannelAccount' | 'ChamanSender', name: string): Promise<T | undefined>;
  waitForCondition<T = ChannelAccount>(kind: 'ChannelAccount' | 'ChamanSender', name: string, type: string, status: string, reason?: string, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const rtOf = (kind: string) => (kind === 'ChamanSender' ? RESOURCES.chamanSenders : RESOURCES.channelAccounts);

function lineCollector(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
}

export async function startHarness(namespace: string, emulatorOptions: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const logs: string[] = [];
  const token = `it-${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulator({
    logLevel: 'debug',
    logger: createLogger({ level: 'debug', destination: lineCollector(logs) }),
    ...emulatorOptions,
    tokens: { [token]: '*', ...emulatorOptions.tokens }, // a test's own tokens (e.g. read-only) beside the operator's
  });
  const kube = await createKubeClient({ kubeconfig: kubeconfigPath() });
  const chaman = new ChamanHttpClient({ baseUrl: emulator.url, auth: { kind: 'token', token }, retry: false });

  const harness: Harness = {
    namespace,
    kube,
    emulator,
    token,
    chaman,
    logs,
    running: undefined,
    async startOperator(settings = {}, operatorToken = token, options = {}) {
      const metrics = createOperatorMetrics();
      const operatorKube = await createKubeClient({ kubeconfig: kubeconfigPath() });
      countKubeRequests(operatorKube, metrics);
      const plain = clientFactory({
        baseUrl: emulator.url,
        retry: { baseDelayMs: 50, maxDelayMs: 500 },
        onRequest: chamanRequestMetrics(metrics),
      });
      const wrap = options.wrapChaman ?? ((c: ChamanClient) => c);
      const factory = (auth: Parameters<typeof plain>[0]) => wrap(plain(auth));
      const operator = new Operator({
        kube: operatorKube,
        chaman: factory({ kind: 'token', token: operatorToken }),
        clientFactory: factory,
        namespaces: options.namespaces ?? [namespace],
        ...(options.writeGrantStatus !== undefined ? { writeGrantStatus: options.writeGrantStatus } : {}),
        concurrency: 4,
        settings: {
          defaultDeletionPolicy: 'Delete',
          certExpiryWarningMs: 30 * 86_400_000,
          resyncPeriodMs: 600_000,
          sha1Cutoff: DEFAULT_SHA1_CUTOFF,
          reconcileTimeoutMs: 60_000,
          // Single-tenant unless a test says otherwise (the tenancy tests turn it on).
          requireSenderGrant: false,
          ...settings,
        },
        metrics,
        logger: createLogger({ level: 'debug', destination: lineCollector(logs) }),
        identity: `it-${process.pid}`,
      });
      await operator.start();
      const running: RunningOperator = {
        operator,
        metrics,
        stop: async () => {
          await operator.stop();
          await operatorKube.close();
          if (harness.running === running) harness.running = undefined;
        },
      };
      harness.running = running;
      return running;
    },
    apply: (object) => apply(kube, { ...object, metadata: { namespace, ...(object.metadata as object) } } as KubeObject, 'integration-tests'),
    async get(kind, name) {
      try {
        return await kube.request({ verb: 'get', resource: rtOf(kind).plural, method: 'GET', path: resourcePath(rtOf(kind), namespace, name) });
      } catch (error) {
        if ((error as { status?: number }).status === 404) return undefined;
        throw error;
      }
    },
    waitForCondition<T>(kind: 'ChannelAccount' | 'ChamanSender', name: string, type: string, status: string, reason?: string, timeoutMs = 30_000): Promise<T> {
      return waitFor<T>(
        `${kind} ${name}: ${type}=${status}${reason ? `/${reason}` : ''}`,
        async () => {
          const object = await harness.get<ChannelAccount>(kind, name);
          const found = object?.status?.conditions?.find((c) => c.type === type);
          const current = found && found.status === status && (!reason || found.reason === reason) && found.observedGeneration === object!.metadata.generation;
          return current ? (object as T) : undefined;
        },
        timeoutMs,
        200,
      );
    },
    async stop() {
      await harness.running?.stop();
      await chaman.close();
      await emulator.stop();
      await kube.close();
    },
  };
  return harness;
}

/** A ChamanSender with valid contact data. */
export function sender(name: string, senderNumber: string): Record<string, unknown> {
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: 'ChamanSender',
    metadata: { name },
    spec: {
      senderNumber,
      organization: { kind: 'Enterprise', name: 'APK Recycling' },
      contact: { name: 'Jane Peeters', phone: { countryCode: '+32', number: '0486531619' }, email: 'jane@apk.example', language: 'fr' },
    },
  };
}

export function tlsSecret(name: string, pem: string, privateKeyPem?: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: privateKeyPem ? 'kubernetes.io/tls' : 'Opaque',
    data: {
      'tls.crt': Buffer.from(pem).toString('base64'),
      ...(privateKeyPem ? { 'tls.key': Buffer.from(privateKeyPem).toString('base64') } : {}),
    },
  };
}

export function stringSecret(name: string, data: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data };
}

export function account(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'chaman.io/v1alpha1', kind: 'ChannelAccount', metadata: { name }, spec: { senderRef: { name: 'apk' }, ...spec } };
}

/**
 * The usual start of an operator test: a fresh namespace, an emulator, an operator watching that
 * namespace, and the ChamanSender "apk" (300010) Ready. Pair with `stopHarness` in afterEach.
 */
export async function harnessWithSender(prefix: string, settings: Partial<Settings> = {}): Promise<Harness> {
  const h = await startHarness(await createNamespace(prefix));
  await h.startOperator(settings);
  await h.apply(sender('apk', '300010'));
  await h.waitForCondition('ChamanSender', 'apk', 'Ready', 'True');
  return h;
}

/** Stops everything and checks that the Chaman token reached no log line (the operator's or the emulator's). */
export async function stopHarness(h: Harness): Promise<void> {
  await h.stop();
  await deleteNamespace(h.namespace);
  expect(h.logs.join('\n')).not.toContain(h.token);
}
