// The operator and the Chaman emulator from the image, each run as manifests/overlays/emulator
// runs it (support/pod-to-podman.ts): read-only root filesystem, no capability, the Deployment's
// NODE_OPTIONS, limits, Secret files and emptyDirs; --network host to reach the loopback control
// plane, a kubeconfig mounted where a pod would have in-cluster config. The examples go Ready, the
// probes and /metrics answer, and SIGTERM stops it within the grace period.
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podmanOk } from '../../scripts/lib/podman.ts';
import { freePort } from '../../src/devtools/free-port.ts';
import { sampleSum } from '../../src/devtools/metrics-text.ts';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import { createNamespace, deleteNamespace, kubeconfigPath, kubectl, waitFor } from '../integration/support/cluster.ts';
import { containerName, deploymentNamed, imageRef, processStatus, renderManifests, startContainer, type RunningContainer } from './support/container.ts';
import { startImageEmulator } from './support/emulator.ts';
import { applyAll, examplesIn, grantName, notReady } from './support/examples.ts';
import { podmanRunArgs, type Deployment } from './support/pod-to-podman.ts';

const NONROOT = '65532 65532 65532 65532';

let workDir: string;
let ns: string;
let kube: KubeClient;
let operatorDeployment: Deployment;
let token: string;
let emulator: RunningContainer;
let operator: RunningContainer;
let healthUrl: string;
let metricsUrl: string;

/** The admin kubeconfig, readable by the pod's fsGroup only, where the operator's KUBECONFIG points. */
function kubeconfigMount(): { hostPath: string; mountPath: string } {
  const dir = join(workDir, 'kube');
  mkdirSync(dir);
  copyFileSync(kubeconfigPath(), join(dir, 'kubeconfig'));
  chmodSync(join(dir, 'kubeconfig'), 0o440);
  chownSync(join(dir, 'kubeconfig'), 0, 65532);
  return { hostPath: dir, mountPath: '/var/run/kube' };
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'chaman-image-'));
  chmodSync(workDir, 0o755);
  ns = await createNamespace('image');
  kube = await createKubeClient({ kubeconfig: kubeconfigPath() });
  const rendered = await renderManifests('overlays/emulator');
  operatorDeployment = deploymentNamed(rendered, 'chaman-operator');
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const started = await startImageEmulator(rendered, workDir, ns);
  ({ container: emulator, token } = started);
  const secrets = started.secrets;

  await applyAll(kube, await examplesIn(ns));

  const operatorName = containerName('operator');
  operator = startContainer(operatorName, podmanRunArgs(operatorDeployment, 'operator', {
    name: operatorName,
    image: imageRef(),
    pod: { namespace: ns, name: operatorName },
    secrets,
    workDir,
    envOverrides: {
      CHAMAN_METRICS_ADDR: `127.0.0.1:${metricsPort}`,
      CHAMAN_HEALTH_ADDR: `127.0.0.1:${healthPort}`,
      KUBECONFIG: '/var/run/kube/kubeconfig',
      CHAMAN_NAMESPACES: ns, // other tests may share this control plane
    },
    extraMounts: [kubeconfigMount()],
  }));
  healthUrl = `http://127.0.0.1:${healthPort}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
}, 300_000);

afterAll(async () => {
  await operator?.remove();
  await emulator?.remove();
  if (ns) {
    await kubectl(['delete', 'chamansendergrant', grantName(ns), '--ignore-not-found', '--wait=false'], { allowFailure: true });
    await deleteNamespace(ns);
  }
  await kube?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the operator image, run as the Deployment runs it', () => {
  it('runs as 65532:65532 (the image user), with no capability, no new privileges and a read-only root filesystem', async () => {
    for (const container of [operator, emulator]) {
      const status = processStatus(await container.hostPid());
      expect({ Uid: status.Uid, Gid: status.Gid, CapEff: status.CapEff, NoNewPrivs: status.NoNewPrivs }).toEqual({ Uid: NONROOT, Gid: NONROOT, CapEff: '0000000000000000', NoNewPrivs: '1' });
      expect((await podmanOk(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', container.name])).trim()).toBe('true');
    }
    const env = (await podmanOk(['inspect', '--format', '{{json .Config.Env}}', operator.name])).trim();
    expect(env).toContain('NODE_OPTIONS=--max-old-space-size=256 --max-semi-space-size=4');
  });

  it('brings the examples to Ready and answers /healthz, /readyz and /metrics', async () => {
    let waiting: string[] = [];
    await waitFor(
      'every example to be Ready',
      async () => {
        if (operator.child.exitCode !== null) throw new Error(`the operator container exited (${operator.child.exitCode}):\n${operator.output()}`);
        waiting = await notReady(ns);
        return waiting.length === 0;
      },
      120_000,
      1000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; not Ready: ${waiting.join(', ')}\n--- operator:\n${operator.output().slice(-4000)}`);
    });
    expect((await fetch(`${healthUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${healthUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(metricsUrl)).text();
    expect(sampleSum(metrics, 'chaman_leader')).toBe(1);
    expect(metrics).toContain('chaman_reconcile_total');
    expect(operator.output()).not.toContain(token);
    expect(emulator.output()).not.toContain(token);
  });

  it("stops on SIGTERM within the Deployment's grace period, with exit code 0", async () => {
    const graceMs = (operatorDeployment.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const started = Date.now();
    const code = await Promise.race([operator.stop('SIGTERM'), new Promise<'still running'>((r) => setTimeout(() => r('still running'), graceMs))]);
    const elapsed = Date.now() - started;
    console.log(`operator container: SIGTERM to exit in ${elapsed} ms (grace period ${graceMs} ms)`);
    expect(code, operator.output().slice(-3000)).toBe(0);
    expect(elapsed).toBeLessThan(graceMs);
  });
});
