// The scale benchmark's count of Ready and stuck objects.
import type { KubeClient, KubeObject } from '../../src/kube/client.ts';
import { RESOURCES } from '../../src/kube/client.ts';
import { Informer } from '../../src/kube/informer.ts';

type Condition = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };
type Status = KubeObject & { metadata: { generation?: number }; status?: { conditions?: Condition[] } };

/**
 * The count of Ready and stuck objects, from watches of the benchmark's senders and accounts (an
 * informer each, filtered to its namespaces): a list of every object at each count cost the API server
 * a read of all of them from etcd every ~11 s at 10k, load the floor never had, and the operator's
 * limiter then saw the latency it caused.
 */
export async function startCensus(kube: KubeClient, namespaces: string[]): Promise<{ count(): { ready: number; stuck: string[] }; stop(): Promise<void> }> {
  const ours = new Set(namespaces);
  const informers = [RESOURCES.chamanSenders, RESOURCES.channelAccounts].map(
    (resource) => new Informer<Status>({ client: kube, resource, keep: (o) => ours.has(o.metadata.namespace ?? ''), logger: { debug: () => {}, warn: () => {} } }),
  );
  for (const informer of informers) informer.start();
  await Promise.all(informers.map((informer) => informer.waitForSync()));
  const count = () => {
    let ready = 0;
    const stuck: string[] = [];
    for (const informer of informers) {
      for (const o of informer.values()) {
        const current = (type: string) => o.status?.conditions?.find((c) => c.type === type && c.status === 'True' && c.observedGeneration === o.metadata.generation);
        if (current('Ready')) ready++;
        else {
          const why = current('Invalid') ?? current('Stalled');
          if (why) stuck.push(`${o.kind} ${why.type}/${why.reason}: ${(why.message ?? '').replace(/\(sender \d+\)|sender \d+|\(acc[^)]*\)?/g, '…').slice(0, 140)}`);
        }
      }
    }
    return { ready, stuck };
  };
  return { count, stop: async () => void (await Promise.all(informers.map((informer) => informer.stop()))) };
}

