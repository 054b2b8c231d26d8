// The chaos benchmark (issue 9): a few hundred accounts, the operator SIGKILLed at random moments,
// Chaman faults, a total Chaman outage, a cut between the operator and the API server, spec edits and
// deletions; then the faults stop, the run converges, and Chaman is compared with Kubernetes.
//
//   node bench/chaos.ts [--accounts 200] [--kills 50] [--kubeconfig DIR/kubeconfig] [--cut-mode refuse|blackhole]
//                       [--operator-root DIR]   (the operator of another checkout, e.g. `git archive` of an older commit)
//                       [--ignore-load]         (run even though the machine is already busy)
//
// Without --kubeconfig it starts its own control plane (scripts/lib/controlplane.ts). The emulator and
// the operator are real processes (`chaman-operator emulator`, `chaman-operator run`); the operator
// reaches the API server through src/devtools/tcp-proxy.ts. Exits 1 when any count is not 0, 2 when
// the hard deadline (--deadline, seconds) is reached first. Logs stay in the run directory it prints.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startControlPlane, type ControlPlane } from '../scripts/lib/controlplane.ts';
import { apply, readManifests, waitForCrdsEstablished } from '../src/devtools/apply.ts';
import { startTcpProxy, type CutMode, type TcpProxy } from '../src/devtools/tcp-proxy.ts';
import { RESOURCES, createKubeClient, isNotFound, resourcePath, type KubeClient, type KubeObject } from '../src/kube/client.ts';
import { refuseWhenBusy } from './lib/machine-load.ts';
import { audit, type Audit, type ChamanAccountView, type DeletedObject, type LiveObject } from './lib/chaos-audit.ts';
import { OperatorRunner, startEmulatorProcess, type EmulatorProcess } from './lib/chaos-processes.ts';
import { accountManifest, editRestAccount, expectedName, makeWorkload, type Workload, type WorkloadAccount } from './lib/chaos-workload.ts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '200' },
    kills: { type: 'string', default: '50' },
    namespaces: { type: 'string', default: '4' },
    kubeconfig: { type: 'string' },
    'cut-mode': { type: 'string', default: 'refuse' },
    'outage-seconds': { type: 'string', default: '60' },
    'cut-seconds': { type: 'string', default: '30' },
    'converge-timeout': { type: 'string', default: '300' },
    deadline: { type: 'string', default: '1080' },
    'operator-root': { type: 'string' },
    'ignore-load': { type: 'boolean', default: false },
  },
});
const ACCOUNTS = Number(values.accounts);
const KILLS = Number(values.kills);
const CUT_MODE = values['cut-mode'] as CutMode;
if (CUT_MODE !== 'refuse' && CUT_MODE !== 'blackhole') throw new Error('--cut-mode must be refuse or blackhole');
const OUTAGE_MS = Number(values['outage-seconds']) * 1000;
const CUT_MS = Number(values['cut-seconds']) * 1000;
const DELETES = Math.ceil(ACCOUNTS / 10);
/** When, after the accounts are applied, the outage and the cut begin (kills, edits, deletions run throughout). */
const OUTAGE_AT_MS = 30_000;
const CUT_AT_MS = OUTAGE_AT_MS + OUTAGE_MS + 30_000;

const runStarted = performance.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (message: string) => console.log(`[${seconds(performance.now() - runStarted).padStart(7)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const between = (min: number, max: number) => min + Math.random() * (max - min);
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

const runDir = mkdtempSync(join(tmpdir(), 'chaman-chaos-'));
const prefix = `chaos-${randomBytes(3).toString('hex')}`;
const token = `chaos-${randomBytes(16).toString('hex')}`;
const cleanups: (() => Promise<unknown>)[] = [];
let finishing = false;

async function cleanUp(): Promise<void> {
  for (const step of cleanups.reverse()) await step().catch((e: Error) => log(`clean-up: ${e.message}`));
}

// A hard deadline for the whole run, and Ctrl-C: stop everything this run started, then exit.
const deadlineTimer = setTimeout(() => void abort(`hard deadline of ${values.deadline} s reached`, 2), Number(values.deadline) * 1000);
process.on('SIGINT', () => void abort('interrupted', 130)); // on, not once: a second Ctrl-C (or timeout(1) forwarding one) must not cut the clean-up short
process.on('uncaughtException', (error) => void abort(`failed: ${error.stack ?? error.message}`, 2));
process.on('unhandledRejection', (error) => void abort(`failed: ${(error as Error)?.stack ?? String(error)}`, 2));
async function abort(reason: string, code: number): Promise<void> {
  if (finishing) return;
  finishing = true;
  log(`${reason}: stopping (logs in ${runDir})`);
  await cleanUp();
  process.exit(code);
}

// ---- the control plane, the proxy, the emulator ----
// Another control plane or operator at work would change the timings the faults are placed by.
await refuseWhenBusy(values['ignore-load'], log);
let kubeconfig = values.kubeconfig;
if (!kubeconfig) {
  log('starting a control plane (the first build takes minutes)…');
  const cp: ControlPlane = await startControlPlane({ dir: join(runDir, 'controlplane') });
  cleanups.push(() => cp.stop());
  kubeconfig = cp.kubeconfigPath;
}
const kube = await createKubeClient({ kubeconfig });
cleanups.push(() => kube.close());
const crdDir = join(import.meta.dirname, '..', 'crds');
const crdFiles = readdirSync(crdDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').map((f) => join(crdDir, f));
const crds = readManifests(...crdFiles);
for (const crd of crds) await apply(kube, crd, 'chaos-bench');
await waitForCrdsEstablished(kube, crds.map((c) => c.metadata.name!));

const proxy: TcpProxy = await startOperatorProxy(kubeconfig, join(runDir, 'operator-kubeconfig'));
cleanups.push(() => proxy.close());

writeFileSync(join(runDir, 'emulator-tokens'), `${token}:*\n`, { mode: 0o600 });
writeFileSync(join(runDir, 'operator-token'), token, { mode: 0o600 });
const emulator: EmulatorProcess = await startEmulatorProcess({ dataDir: join(runDir, 'emulator-data'), tokenFile: join(runDir, 'emulator-tokens'), token, logFile: join(runDir, 'emulator.log') });
cleanups.push(() => emulator.stop());
const knownFaults = await emulator.admin<Record<string, number>>('/admin/faults');
// H4 may rename the committed-then-dropped fault; use whichever this emulator knows.
const dropAfterCommit = 'dropAfterCommitRate' in knownFaults ? 'dropAfterCommitRate' : 'dropResponseRate';
const CHAOS_FAULTS = { latencyMs: 50, errorRate: 0.1, rate429: 0.05, retryAfterSeconds: 1, [dropAfterCommit]: 0.05 };
const setFaults = (faults: Record<string, number>) => emulator.admin('/admin/faults', faults);

// ---- the workload ----
log(`making the workload: ${ACCOUNTS} accounts…`);
const workload: Workload = await makeWorkload({ prefix, accounts: ACCOUNTS, namespaces: Number(values.namespaces) });
cleanups.push(() => deleteNamespaces(kube, workload.namespaces));
const byKey = new Map(workload.accounts.map((a) => [`${a.namespace}/${a.name}`, a]));
for (const o of workload.prerequisites.filter((o) => o.kind === 'Namespace')) await apply(kube, o as unknown as KubeObject, 'chaos-bench');
await inBatches(workload.prerequisites.filter((o) => o.kind !== 'Namespace'), 8, (o) => apply(kube, o as unknown as KubeObject, 'chaos-bench'));
await grantSenders(kube, workload);

const operator = new OperatorRunner({
  kubeconfig: join(runDir, 'operator-kubeconfig'),
  namespaces: workload.namespaces,
  chamanUrl: emulator.url,
  tokenFile: join(runDir, 'operator-token'),
  logFile: join(runDir, 'operator.log'),
  ...(values['operator-root'] ? { operatorRoot: values['operator-root'] } : {}),
});
cleanups.push(() => operator.kill());
await setFaults(CHAOS_FAULTS);
operator.start();
const types = Object.entries(Object.groupBy(workload.accounts, (a) => a.spec.type)).map(([t, list]) => `${t} ${list!.length}`);
log(`applying ${workload.accounts.length} accounts (${types.join(', ')}) in ${workload.namespaces.length} namespaces; faults ${JSON.stringify(CHAOS_FAULTS)}`);
const chaosStarted = performance.now();
await inBatches(workload.accounts, 8, (a) => apply(kube, accountManifest(a) as unknown as KubeObject, 'chaos-bench'));

// ---- the chaos ----
let killsPaused = false;
let chaosOver = false;
const reserved = new Set<string>();
const deleted = new Map<string, DeletedObject>();
let edits = 0;
const sinceChaos = () => performance.now() - chaosStarted;

let selfExits = 0;
async function killer(): Promise<void> {
  while (operator.kills < KILLS && !finishing) {
    await sleep(between(2_000, 9_000)); // a few seconds per process, as a crash loop gives (Node itself takes 1–2 s to start)
    while (killsPaused) await sleep(200);
    if (!operator.running) {
      // It exited by itself: a chaos run of an operator that cannot start measures nothing.
      if (++selfExits >= 3) throw new Error(`the operator exited by itself ${selfExits} times in a row; see ${join(runDir, 'operator.log')}`);
      operator.start();
      continue;
    }
    selfExits = 0;
    await operator.kill();
    await sleep(between(200, 1_500));
    operator.start();
    if (operator.kills % 10 === 0) log(`${operator.kills} SIGKILLs so far`);
  }
}

interface OutageFigures {
  callsPerSecond: number;
  peak: number;
}
async function outage(): Promise<OutageFigures> {
  await sleep(OUTAGE_AT_MS - sinceChaos());
  log(`Chaman outage: every call answered 503 for ${seconds(OUTAGE_MS)}`);
  await setFaults({ latencyMs: 50, errorRate: 1 });
  const totals: number[] = [];
  const started = performance.now();
  for (let i = 0; i <= OUTAGE_MS / 1000; i++) {
    await sleep(started + i * 1000 - performance.now());
    totals.push((await emulator.admin<{ total: number }>(`/admin/requests?since=${Number.MAX_SAFE_INTEGER}`)).total);
  }
  await setFaults(CHAOS_FAULTS);
  const afterTen = totals.slice(10);
  const perSecond = afterTen.slice(1).map((t, i) => t - afterTen[i]!);
  const figures = { callsPerSecond: (afterTen.at(-1)! - afterTen[0]!) / (afterTen.length - 1), peak: Math.max(...perSecond) };
  log(`outage over: ${figures.callsPerSecond.toFixed(1)} Chaman calls/s after its first 10 s (peak ${figures.peak})`);
  return figures;
}

/** The cut between the operator and the API server, then the time an edit made at its end takes to be Ready. */
async function cut(): Promise<number | undefined> {
  await sleep(CUT_AT_MS - 5_000 - sinceChaos());
  killsPaused = true; // the operator must live through the cut: the figure is about its watches, not a restart
  while (!operator.running) await sleep(100);
  await sleep(5_000);
  // Faults off for the measure, so it times the API server's return and not a retried 503.
  await setFaults({ latencyMs: CHAOS_FAULTS.latencyMs });
  log(`cutting the operator from the API server (${CUT_MODE}) for ${seconds(CUT_MS)}`);
  await proxy.cut(CUT_MODE);
  await sleep(CUT_MS - 2_000);
  const target = await readyRestAccount();
  await sleep(2_000);
  await proxy.restore();
  let readyAfterMs: number | undefined;
  if (target) {
    editRestAccount(target, Math.random, 'permissions');
    const edited = await apply(kube, accountManifest(target) as unknown as KubeObject, 'chaos-bench');
    const at = performance.now();
    readyAfterMs = await waitReady(target, edited.metadata.generation!, 120_000).then((ok) => (ok ? performance.now() - at : undefined));
    log(`API server back; the edit of ${target.namespace}/${target.name} ${readyAfterMs === undefined ? 'was not Ready within 120 s' : `was Ready after ${seconds(readyAfterMs)}`}`);
  } else {
    log('API server back; no REST account was Ready to edit');
  }
  await setFaults(CHAOS_FAULTS);
  killsPaused = false;
  return readyAfterMs;
}

async function editsAndDeletions(): Promise<void> {
  const expectedChaosMs = Math.max(KILLS * 6_400, CUT_AT_MS + CUT_MS);
  while (!chaosOver && !finishing) {
    await sleep(1_500);
    const candidates = workload.accounts.filter((a) => !deleted.has(key(a)) && !reserved.has(key(a)));
    if (deleted.size < Math.min(DELETES, Math.floor((DELETES * sinceChaos()) / expectedChaosMs))) await deleteAccount(pick(candidates));
    const rest = candidates.filter((a) => a.spec.type === 'REST');
    if (rest.length === 0) continue;
    const account = pick(rest);
    editRestAccount(account, Math.random);
    await apply(kube, accountManifest(account) as unknown as KubeObject, 'chaos-bench').catch((e: Error) => log(`edit of ${key(account)} failed: ${e.message}`));
    edits++;
  }
  // A chaos shorter than planned still deletes its share, under the last operator process.
  while (deleted.size < DELETES) await deleteAccount(pick(workload.accounts.filter((a) => !deleted.has(key(a)) && !reserved.has(key(a)))));
}

const editor = editsAndDeletions().catch((e: Error) => log(`editor stopped: ${e.message}`));
const [, outageFigures, editReadyMs] = await Promise.all([killer(), outage(), cut()]);
chaosOver = true;
await editor;
const chaosMs = sinceChaos();
log(`chaos over after ${seconds(chaosMs)}: ${operator.kills} SIGKILLs, ${edits} edits, ${deleted.size} deletions; faults off, converging…`);

// ---- convergence ----
await setFaults({});
operator.start();
const convergeStarted = performance.now();
const convergeTimeoutMs = Number(values['converge-timeout']) * 1000;
let result: Audit;
let convergedMs: number | undefined;
for (;;) {
  result = await gatherAudit();
  const counts = [result.duplicates, result.orphans, result.lostUpdates, result.missing, result.undeleted, result.notReady];
  if (counts.every((c) => c === 0)) {
    convergedMs = performance.now() - convergeStarted;
    break;
  }
  if (performance.now() - convergeStarted > convergeTimeoutMs) break;
  await sleep(2_000);
}
clearTimeout(deadlineTimer);
writeFileSync(join(runDir, 'audit.txt'), result.details.join('\n') + '\n');

// ---- the report ----
const mark = (ok: boolean) => (ok ? '' : '  ✗');
const rows: [string, string, string, boolean][] = [
  ['duplicates', String(result.duplicates), '0', result.duplicates === 0],
  ['orphans (in Chaman, claimed by no object)', String(result.orphans), '0', result.orphans === 0],
  ['lost updates (Chaman ≠ final spec)', String(result.lostUpdates), '0', result.lostUpdates === 0],
  ['missing (object without its account)', String(result.missing), '0', result.missing === 0],
  ['undeleted (deleted object, account left)', String(result.undeleted), '0', result.undeleted === 0],
  ['not Ready at the end', String(result.notReady), '0', result.notReady === 0],
  ['time to converge after the chaos', convergedMs === undefined ? `not within ${seconds(convergeTimeoutMs)}` : seconds(convergedMs), '—', convergedMs !== undefined],
  ['Chaman calls/s in the outage, after its first 10 s', `${outageFigures.callsPerSecond.toFixed(1)} (peak ${outageFigures.peak})`, '≤ 1', outageFigures.callsPerSecond <= 1],
  ['edit Ready after the API server is back', editReadyMs === undefined ? 'not within 120 s' : seconds(editReadyMs), '≤ 5 s', editReadyMs !== undefined && editReadyMs <= 5_000],
];
console.log(`
chaos: ${workload.accounts.length} accounts (${types.join(', ')}), ${workload.namespaces.length} namespaces, ${Math.ceil(ACCOUNTS / 10)} senders;
       ${operator.kills} SIGKILLs (${operator.starts} operator starts), ${edits} edits, ${deleted.size} deletions in ${seconds(chaosMs)} of chaos;
       faults ${JSON.stringify(CHAOS_FAULTS)}; ${seconds(OUTAGE_MS)} outage; ${seconds(CUT_MS)} API-server cut (${CUT_MODE})
`);
const widths = [0, 1, 2].map((i) => Math.max(...[['measure', 'value', 'target'], ...rows.map(([n, v, t, ok]) => [n, v, t + mark(ok)])].map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(['measure', 'value', 'target']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const [name, value, target, ok] of rows) console.log(line([name, value, target + mark(ok)]));
if (result.details.length > 0) console.log(`\nfirst problems (all in ${join(runDir, 'audit.txt')}):\n  ${result.details.slice(0, 15).join('\n  ')}`);
console.log(`\nlogs: ${runDir}/operator.log, ${runDir}/emulator.log`);
const failed = [result.duplicates, result.orphans, result.lostUpdates, result.missing, result.undeleted, result.notReady].some((c) => c !== 0);
finishing = true;
await cleanUp();
process.exit(failed ? 1 : 0);

// ---- helpers ----

function key(a: WorkloadAccount): string {
  return `${a.namespace}/${a.name}`;
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** A copy of the kubeconfig whose server is a TCP proxy in front of the API server. */
async function startOperatorProxy(source: string, target: string): Promise<TcpProxy> {
  const config = parseYaml(readFileSync(source, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  const server = new URL(config.clusters[0]!.cluster.server);
  const p = await startTcpProxy({ targetHost: server.hostname, targetPort: Number(server.port || 443) });
  for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${p.port}`;
  writeFileSync(target, stringifyYaml(config), { mode: 0o600 });
  return p;
}

type AccountObject = KubeObject & {
  metadata: { annotations?: Record<string, string>; generation?: number; deletionTimestamp?: string };
  spec: { accountName?: string; permissions?: string[]; certificates?: { secretRef: { name: string; key?: string } }[] };
  status?: { conditions?: { type: string; status: string; observedGeneration?: number }[] };
};

function isReady(o: AccountObject): boolean {
  return !!o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === o.metadata.generation);
}

async function getAccount(a: WorkloadAccount): Promise<AccountObject | undefined> {
  try {
    return await kube.request<AccountObject>({ verb: 'get', resource: 'channelaccounts', method: 'GET', path: resourcePath(RESOURCES.channelAccounts, a.namespace, a.name) });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function waitReady(a: WorkloadAccount, generation: number, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const o = await getAccount(a);
    if (o && o.metadata.generation === generation && isReady(o)) return true;
    await sleep(100);
  }
  return false;
}

/** A REST account Ready now, kept out of the random edits and deletions from here on. */
async function readyRestAccount(): Promise<WorkloadAccount | undefined> {
  const rest = workload.accounts.filter((a) => a.spec.type === 'REST' && !deleted.has(key(a)));
  for (const a of rest.sort(() => Math.random() - 0.5).slice(0, 40)) {
    const o = await getAccount(a);
    if (o && isReady(o)) {
      reserved.add(key(a));
      return a;
    }
  }
  return undefined;
}

async function deleteAccount(a: WorkloadAccount): Promise<void> {
  const o = await getAccount(a);
  deleted.set(key(a), {
    key: key(a),
    senderNumber: a.senderNumber,
    type: a.spec.type,
    name: expectedName(a.name, a.spec),
    ...(o?.metadata.annotations?.['chaman.io/external-name'] ? { externalName: o.metadata.annotations['chaman.io/external-name'] } : {}),
    stillPresent: true,
  });
  await kube.request({ verb: 'delete', resource: 'channelaccounts', method: 'DELETE', path: resourcePath(RESOURCES.channelAccounts, a.namespace, a.name) }).catch((e) => {
    if (!isNotFound(e)) throw e;
  });
}

async function gatherAudit(): Promise<Audit> {
  const objects = new Map<string, AccountObject>();
  for (const namespace of workload.namespaces) {
    const list = await kube.request<{ items: AccountObject[] }>({ verb: 'list', resource: 'channelaccounts', method: 'GET', path: resourcePath(RESOURCES.channelAccounts, namespace) });
    for (const o of list.items) objects.set(`${namespace}/${o.metadata.name}`, o);
  }
  const state = await emulator.admin<{ accounts: ChamanAccountView[] }>('/admin/state');
  const live: LiveObject[] = [];
  for (const [k, o] of objects) {
    const a = byKey.get(k);
    if (!a || o.metadata.deletionTimestamp) continue;
    live.push({
      key: k,
      senderNumber: a.senderNumber,
      type: a.spec.type,
      expectedName: expectedName(o.metadata.name!, o.spec),
      expectedPermissions: o.spec.permissions ?? [],
      expectedFingerprints: (o.spec.certificates ?? []).map((c) => workload.fingerprints.get(`${a.namespace}/${c.secretRef.name}`) ?? `unknown secret ${c.secretRef.name}`),
      ...(o.metadata.annotations?.['chaman.io/external-name'] ? { externalName: o.metadata.annotations['chaman.io/external-name'] } : {}),
      ready: isReady(o),
    });
  }
  const gone = [...deleted.values()].map((d) => {
    const o = objects.get(d.key);
    const externalName = o?.metadata.annotations?.['chaman.io/external-name'] ?? d.externalName;
    return { ...d, stillPresent: !!o, ...(externalName ? { externalName } : {}) };
  });
  return audit(state.accounts, live, gone);
}

/** A ChamanSenderGrant for the run's namespaces and senders, for an operator that checks grants (issue 10). */
async function grantSenders(client: KubeClient, w: Workload): Promise<void> {
  const senderNumbers = [...new Set(w.accounts.map((a) => a.senderNumber))];
  const rt = RESOURCES.chamanSenderGrants;
  await client
    .request({
      verb: 'apply',
      resource: rt.plural,
      method: 'PATCH',
      path: resourcePath(rt, undefined, prefix),
      query: { fieldManager: 'chaos-bench', force: true },
      contentType: 'application/apply-patch+yaml',
      body: { apiVersion: 'chaman.io/v1alpha1', kind: rt.kind, metadata: { name: prefix }, spec: { senderNumbers, namespaces: w.namespaces } },
    })
    .then(() => cleanups.push(() => client.request({ verb: 'delete', resource: rt.plural, method: 'DELETE', path: resourcePath(rt, undefined, prefix) })))
    .catch((e: Error) => log(`no ChamanSenderGrant (${e.message}); an operator that needs one will refuse these senders`));
}

/** The operator is dead by now: release the finalizers it would have released, then delete the namespaces. */
async function deleteNamespaces(client: KubeClient, namespaces: string[]): Promise<void> {
  for (const namespace of namespaces) {
    for (const rt of [RESOURCES.channelAccounts, RESOURCES.chamanSenders]) {
      const list = await client.request<{ items: KubeObject[] }>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace) });
      await inBatches(list.items, 16, (o) =>
        client
          .request({ verb: 'patch', resource: rt.plural, method: 'PATCH', path: resourcePath(rt, namespace, o.metadata.name), contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } })
          .catch(() => {}),
      );
    }
    await client.request({ verb: 'delete', resource: 'namespaces', method: 'DELETE', path: resourcePath(RESOURCES.namespaces, undefined, namespace) }).catch(() => {});
  }
}
