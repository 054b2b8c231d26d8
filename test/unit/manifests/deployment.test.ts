// The Deployment is hardened exactly as the issue asks, and wired to the Secret, probes and Lease.
import { describe, expect, it } from 'vitest';
import { find, kustomize, kustomizeCombination, type K8sObject } from './support.ts';

const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};
const CONTAINER_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function deployments(): [string, K8sObject][] {
  const emulatorBuild = kustomize('manifests/overlays/emulator');
  return [
    ['operator', find(kustomize('manifests'), 'Deployment', 'chaman-operator', 'chaman-system')],
    ['operator (namespaced)', find(kustomize('manifests/overlays/namespaced'), 'Deployment', 'chaman-operator', 'chaman-system')],
    ['emulator', find(emulatorBuild, 'Deployment', 'chaman-emulator', 'chaman-system')],
  ];
}

describe('Deployment security', () => {
  for (const [what, deployment] of deployments()) {
    it(`${what}: pod and container securityContext are exactly the hardened ones`, () => {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toEqual(POD_SECURITY_CONTEXT);
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext, c.name).toEqual(CONTAINER_SECURITY_CONTEXT);
        expect(c.resources.requests.cpu, c.name).toBeTruthy();
        expect(c.resources.requests.memory, c.name).toBeTruthy();
        expect(c.resources.limits.cpu, c.name).toBeTruthy();
        expect(c.resources.limits.memory, c.name).toBeTruthy();
      }
    });
  }
});

describe('operator Deployment', () => {
  const objects = kustomize('manifests');
  const deployment = find(objects, 'Deployment', 'chaman-operator', 'chaman-system');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('runs two replicas with leader election, under its own ServiceAccount', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.containers).toHaveLength(1);
    expect(container.args).toEqual(['run', '--leader-elect']);
    expect(pod.serviceAccountName).toBe('chaman-operator');
    expect(container.env).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the health port', () => {
    const health = container.ports.find((p: { name: string }) => p.name === 'health');
    expect(health.containerPort).toBe(8081);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.env).toContainEqual({ name: 'CHAMAN_HEALTH_ADDR', value: ':8081' });
    expect(container.env).toContainEqual({ name: 'CHAMAN_METRICS_ADDR', value: ':8080' });
  });

  it('reads the Chaman URL and credentials from the Secret chaman-api, credentials as files', () => {
    expect(container.env).toContainEqual({ name: 'CHAMAN_URL', valueFrom: { secretKeyRef: { name: 'chaman-api', key: 'url' } } });
    expect(container.env).toContainEqual({ name: 'CHAMAN_TOKEN_FILE', value: '/var/run/secrets/chaman/token' });
    const volume = pod.volumes.find((v: { name: string }) => v.name === 'chaman-api');
    expect(volume.secret.secretName).toBe('chaman-api');
    expect(container.volumeMounts).toContainEqual({ name: 'chaman-api', mountPath: '/var/run/secrets/chaman', readOnly: true });
    // No credential is passed in an environment variable's value.
    for (const e of container.env as { name: string; value?: string }[]) expect(e.name).not.toMatch(/TOKEN$|PASSWORD|KEY$/);
  });

  it('is kept available by a PodDisruptionBudget (minAvailable 1) that selects its pods', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'chaman-operator', 'chaman-system');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('exposes /metrics through the metrics Service', () => {
    const service = find(objects, 'Service', 'chaman-operator-metrics', 'chaman-system');
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 8080, protocol: 'TCP' });
  });

  it('the namespace enforces the restricted Pod Security Standard', () => {
    expect(find(objects, 'Namespace', 'chaman-system').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('components', () => {
  const container = (objects: K8sObject[]) => find(objects, 'Deployment', 'chaman-operator', 'chaman-system').spec.template.spec.containers[0];

  it('mtls swaps the token file for a client certificate and key', () => {
    const env = container(kustomizeCombination(['manifests/base'], ['manifests/components/mtls'])).env as { name: string }[];
    expect(env.map((e) => e.name)).not.toContain('CHAMAN_TOKEN_FILE');
    expect(env).toContainEqual({ name: 'CHAMAN_CLIENT_CERT', value: '/var/run/secrets/chaman/tls.crt' });
    expect(env).toContainEqual({ name: 'CHAMAN_CLIENT_KEY', value: '/var/run/secrets/chaman/tls.key' });
  });

  it('ca adds the CA bundle and keeps the token', () => {
    const env = container(kustomizeCombination(['manifests/base'], ['manifests/components/ca'])).env as { name: string }[];
    expect(env).toContainEqual({ name: 'CHAMAN_CA', value: '/var/run/secrets/chaman/ca.crt' });
    expect(env.map((e) => e.name)).toContain('CHAMAN_TOKEN_FILE');
  });
});
