// Namespaces that a test deletes must not stay Terminating. A test stops its operator before (or
// soon after) it deletes its namespace, so nothing removes the operator's finalizer from the
// ChamanSenders and ChannelAccounts left in it. Such a namespace stays Terminating for as long as the
// control plane runs, and the namespace controller retries it every 8 s, each time with a discovery
// and a list and a delete-collection of every namespaced resource type: about 100 requests. Ten
// integration test files left 43 of them, which kept a control plane started by hand at a third of
// a core after the runs; a whole run, at one to two cores.
//
// No vitest import here: the global setup's teardown uses it too.
import { FINALIZER } from '../../../src/domain/annotations.ts';
import { createKubeClient, isConflict, isNotFound, RESOURCES, resourcePath, type KubeClient, type KubeList, type KubeObject } from '../../../src/kube/client.ts';

/** The label createNamespace puts on every test namespace. */
export const TEST_NAMESPACE_LABEL = 'chaman.io/integration-test';

/**
 * Removes the operator's finalizer from every ChamanSender and ChannelAccount of a namespace whose
 * deletion has begun; returns how many objects it released. An operator still running that saw the
 * finalizer go from an object not yet being deleted would put it back: hence a few passes.
 */
export async function releaseOperatorFinalizers(kubeconfig: string, namespace: string): Promise<number> {
  const kube = await createKubeClient({ kubeconfig, userAgent: 'integration-tests' });
  try {
    return await release(kube, namespace);
  } finally {
    await kube.close();
  }
}

async function release(kube: KubeClient, namespace: string): Promise<number> {
  let released = 0;
  for (let pass = 0; pass < 5; pass++) {
    if (pass > 0) await new Promise((r) => setTimeout(r, 200));
    let held = 0;
    for (const rt of [RESOURCES.channelAccounts, RESOURCES.chamanSenders]) {
      const list = await kube
        .request<KubeList<KubeObject>>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt, namespace) })
        .catch((error: unknown) => {
          if (isNotFound(error)) return { items: [] as KubeObject[] }; // the CRDs are not installed
          throw error;
        });
      for (const object of list.items) {
        const finalizers = object.metadata.finalizers ?? [];
        if (!finalizers.includes(FINALIZER)) continue;
        held++;
        try {
          // resourceVersion makes the patch conditional: a change in between is a 409, seen next pass.
          await kube.request({
            verb: 'patch',
            resource: rt.plural,
            method: 'PATCH',
            path: resourcePath(rt, namespace, object.metadata.name),
            contentType: 'application/merge-patch+json',
            body: { metadata: { resourceVersion: object.metadata.resourceVersion, finalizers: finalizers.filter((f) => f !== FINALIZER) } },
          });
          released++;
        } catch (error) {
          if (!isNotFound(error) && !isConflict(error)) throw error;
        }
      }
    }
    if (held === 0) break;
  }
  return released;
}

/** The test namespaces (by their label) that are Terminating. */
export async function terminatingTestNamespaces(kubeconfig: string): Promise<string[]> {
  const kube = await createKubeClient({ kubeconfig, userAgent: 'integration-tests' });
  try {
    const rt = RESOURCES.namespaces;
    const list = await kube.request<KubeList<KubeObject>>({ verb: 'list', resource: rt.plural, method: 'GET', path: resourcePath(rt), query: { labelSelector: TEST_NAMESPACE_LABEL } });
    return list.items.flatMap((ns) => (ns.metadata.deletionTimestamp && ns.metadata.name ? [ns.metadata.name] : []));
  } finally {
    await kube.close();
  }
}

/**
 * For the end of a run on a control plane that outlives it: releases what a test left Terminating
 * (a test that failed before its clean-up, an operator that put a finalizer back) and returns the
 * namespaces where it released something (the others are simply on their way out: the namespace
 * controller starts a deletion 5 s after it is asked).
 */
export async function releaseTerminatingTestNamespaces(kubeconfig: string): Promise<string[]> {
  const released: string[] = [];
  for (const name of await terminatingTestNamespaces(kubeconfig)) {
    if ((await releaseOperatorFinalizers(kubeconfig, name)) > 0) released.push(name);
  }
  return released;
}
