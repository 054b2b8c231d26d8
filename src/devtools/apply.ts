// Server-side apply of manifests, for the demo and the tests (the kinds they use), and a wait for
// CRDs to be Established. Not used by the operator itself.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { RESOURCES, resourcePath, type KubeClient, type KubeObject, type ResourceType } from '../kube/client.ts';

const CRDS: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
const KINDS: Record<string, ResourceType> = {
  Namespace: RESOURCES.namespaces,
  Secret: RESOURCES.secrets,
  ConfigMap: RESOURCES.configMaps,
  ChamanSender: RESOURCES.chamanSenders,
  ChannelAccount: RESOURCES.channelAccounts,
  ChamanSenderGrant: RESOURCES.chamanSenderGrants,
  CustomResourceDefinition: CRDS,
};

export function readManifests(...files: string[]): KubeObject[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => !!o && typeof o === 'object' && !!o.kind),
  );
}

export async function apply(kube: KubeClient, object: KubeObject, fieldManager = 'chaman-demo'): Promise<KubeObject> {
  const rt = KINDS[object.kind ?? ''];
  if (!rt) throw new Error(`apply: kind ${object.kind} is not supported here`);
  return kube.request<KubeObject>({
    verb: 'apply',
    resource: rt.plural,
    method: 'PATCH',
    path: resourcePath(rt, object.metadata.namespace, object.metadata.name),
    query: { fieldManager, force: true },
    contentType: 'application/apply-patch+yaml',
    body: object,
  });
}

export async function waitForCrdsEstablished(kube: KubeClient, names: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await kube.request<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>({
        verb: 'get',
        resource: CRDS.plural,
        method: 'GET',
        path: resourcePath(CRDS, undefined, name),
      });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} is not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
