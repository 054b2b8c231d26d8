// `chaman-operator status`: see STATUS_USAGE (args.ts). Reads Kubernetes only; exit 0 only when all shown is Ready.
import { delimiter } from 'node:path';
import { KubeClient, loadKubeConfig } from '../kube/client.ts';
import { parseStatusArgs, STATUS_USAGE, type StatusArgs } from './args.ts';
import { buildStatusView } from './build.ts';
import { readSnapshot } from './read.ts';
import { renderText } from './render-text.ts';
import type { StatusTarget } from './snapshot.ts';
import type { StatusView } from './view.ts';
import { watchStatus } from './watch.ts';

export async function runStatusCli(argv: string[]): Promise<number> {
  let args: StatusArgs | 'help';
  try {
    args = parseStatusArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${STATUS_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(STATUS_USAGE);
    return 0;
  }
  let kube: KubeClient;
  let target: StatusTarget;
  try {
    // As `run` resolves it: the flag, else $KUBECONFIG (its first file), else in-cluster in a Pod, else ~/.kube/config.
    const file = args.kubeconfig ?? (process.env.KUBECONFIG ?? '').split(delimiter).find(Boolean);
    const kc = loadKubeConfig(file);
    const contextNamespace = kc.contexts.find((c) => c.name === kc.currentContext)?.namespace;
    target = { ...args.target, namespace: args.target.namespace ?? contextNamespace ?? 'default' };
    kube = await KubeClient.fromKubeConfig(kc, { userAgent: 'chaman-operator-status' });
  } catch (err) {
    console.error(`cannot use the kubeconfig: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no file ${(err as NodeJS.ErrnoException).path}` : (err as Error).message}`);
    return 2;
  }
  try {
    return args.watch ? await watchUntilInterrupted(kube, target, args) : await printOnce(kube, target, args);
  } finally {
    await kube.close();
  }
}

async function readView(kube: KubeClient, target: StatusTarget, args: StatusArgs, signal?: AbortSignal): Promise<StatusView> {
  return buildStatusView(await readSnapshot(kube, target, signal), { eventLimit: args.eventLimit });
}

async function printOnce(kube: KubeClient, target: StatusTarget, args: StatusArgs): Promise<number> {
  let view: StatusView;
  try {
    view = await readView(kube, target, args);
  } catch (err) {
    console.error(readError(err, target));
    return 2;
  }
  process.stdout.write(args.output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : renderText(view, new Date(view.observedAt)));
  return view.ready ? 0 : 1;
}

async function watchUntilInterrupted(kube: KubeClient, target: StatusTarget, args: StatusArgs): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const last = await watchStatus({
      read: (signal) => readView(kube, target, args, signal),
      print: (view) => {
        if (args.output === 'json') process.stdout.write(`${JSON.stringify(view)}\n`);
        else process.stdout.write(`--- ${view.observedAt}\n${renderText(view, new Date(view.observedAt))}`);
      },
      printError: (err) => console.error(`${new Date().toISOString()} ${readError(err, target)} (trying again)`),
      intervalMs: args.intervalMs,
      signal: stop.signal,
    });
    if (!last) return 2;
    return last.ready ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function readError(err: unknown, target: StatusTarget): string {
  const e = err as { status?: number; message?: string };
  const hint = e.status === 401 || e.status === 403
    ? ': your user needs get and list on chamansenders and channelaccounts, get on secrets, and list on events in this namespace'
    : '';
  return `cannot read namespace ${target.namespace}: ${e.message ?? String(err)}${hint}`;
}
