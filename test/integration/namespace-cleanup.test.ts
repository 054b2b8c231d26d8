// A test's namespace must go once the test deletes it, even though its operator is stopped by then
// and the operator's finalizer is still on the objects: a namespace left Terminating keeps the
// namespace controller busy for as long as the control plane runs (see support/finalizers.ts).
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FINALIZER } from '../../src/domain/annotations.ts';
import { apply } from '../../src/devtools/apply.ts';
import { createKubeClient, type KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, isApiError, kubeconfigPath, loadKubeConfig, waitFor } from './support/cluster.ts';
import { releaseTerminatingTestNamespaces, terminatingTestNamespaces } from './support/finalizers.ts';
import { account, sender } from './support/operator.ts';

let kube: KubeClient;
beforeAll(async () => {
  kube = await createKubeClient({ kubeconfig: kubeconfigPath() });
});
afterAll(async () => {
  await kube.close();
});

/** A namespace holding a ChamanSender and a ChannelAccount that carry the operator's finalizer, as a stopped operator leaves them. */
async function namespaceWithFinalizedObjects(prefix: string): Promise<string> {
  const namespace = await createNamespace(prefix);
  const finalized = (object: Record<string, unknown>) =>
    ({ ...object, metadata: { ...(object.metadata as object), namespace, finalizers: [FINALIZER] } }) as KubeObject;
  await apply(kube, finalized(sender('apk', '300010')), 'integration-tests');
  await apply(kube, finalized(account('soap', { type: 'SOAP', certificates: [{ name: 'c', secretRef: { name: 'soap-cert' } }] })), 'integration-tests');
  return namespace;
}

const gone = (name: string) =>
  loadKubeConfig()
    .makeApiClient(CoreV1Api)
    .readNamespace({ name })
    .then(
      () => false,
      (error: unknown) => isApiError(error, 404),
    );

it("deleteNamespace completes a namespace whose objects hold the operator's finalizer, with no operator running", async () => {
  const namespace = await namespaceWithFinalizedObjects('cleanup');
  await deleteNamespace(namespace, { wait: true, timeoutMs: 30_000 });
  expect(await gone(namespace)).toBe(true);
});

it('the end of a run releases a test namespace left Terminating by a test that deleted it by other means', async () => {
  const namespace = await namespaceWithFinalizedObjects('leftover');
  await loadKubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  // Stuck: the namespace controller has deleted what it could and waits on the finalizer.
  await waitFor(`namespace ${namespace} Terminating`, async () => (await terminatingTestNamespaces(kubeconfigPath())).includes(namespace));
  expect(await gone(namespace)).toBe(false);

  expect(await releaseTerminatingTestNamespaces(kubeconfigPath())).toContain(namespace);
  await waitFor(`namespace ${namespace} to be deleted`, () => gone(namespace), 30_000, 200);
});
