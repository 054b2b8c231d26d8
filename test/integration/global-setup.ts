// One real control plane per integration test run (etcd + kube-apiserver + the garbage-collector,
// namespace and service-account controllers, from test/controlplane), with every CRD in crds/
// installed and Established. Tests get the kubeconfig with inject('kubeconfig') or
// $CHAMAN_TEST_KUBECONFIG, and DIR/kubectl with inject('kubectl'); see support/cluster.ts.
//
// To iterate faster, start one yourself (npm run controlplane -- --dir /tmp/cp) and run the tests
// with CHAMAN_TEST_KUBECONFIG=/tmp/cp/kubeconfig: it is then used as is (CRDs re-applied), not stopped.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { parseAllDocuments } from 'yaml';
import { ensureControlPlaneBinary, repoRoot, startControlPlane } from '../../scripts/lib/controlplane.ts';
import { releaseTerminatingTestNamespaces } from './support/finalizers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the test run's control plane. */
    kubeconfig: string;
    /** DIR/kubectl: kubectl from the pinned Kubernetes release, already pointed at the kubeconfig. */
    kubectl: string;
  }
}

const run = promisify(execFile);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.CHAMAN_TEST_KUBECONFIG;
  if (existing) {
    const kubectlPath = join(dirname(existing), 'kubectl');
    await installCrds(kubectlPath);
    project.provide('kubeconfig', existing);
    project.provide('kubectl', kubectlPath);
    // That control plane outlives the run: leave it quiet (see support/finalizers.ts).
    return async () => {
      const left = await releaseTerminatingTestNamespaces(existing);
      if (left.length > 0) console.warn(`integration: released the operator's finalizers in ${left.length} test namespace(s) that a test left Terminating: ${left.join(', ')}`);
    };
  }

  const binary = await ensureControlPlaneBinary({ log: (line) => console.log(line) });
  const dir = mkdtempSync(join(tmpdir(), 'chaman-it-'));
  const started = Date.now();
  const controlPlane = await startControlPlane({ dir, binary, log: (line) => console.log(line) });
  const teardown = async () => {
    await controlPlane.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await installCrds(controlPlane.kubectlPath);
  } catch (error) {
    await teardown();
    throw error;
  }
  console.log(`integration: control plane ready with CRDs in ${Date.now() - started} ms (${dir})`);

  process.env.CHAMAN_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  project.provide('kubeconfig', controlPlane.kubeconfigPath);
  project.provide('kubectl', controlPlane.kubectlPath);
  return teardown;
}

/** Applies every CRD in crds/ and waits until each is Established (its API is served). */
async function installCrds(kubectlPath: string): Promise<void> {
  const crdDir = join(repoRoot, 'crds');
  // Only the files that hold CRDs.
  const files = (existsSync(crdDir) ? readdirSync(crdDir) : []).filter(
    (f) =>
      /\.ya?ml$/.test(f) &&
      parseAllDocuments(readFileSync(join(crdDir, f), 'utf8')).some((d) => (d.toJS() as { kind?: string } | null)?.kind === 'CustomResourceDefinition'),
  );
  if (files.length === 0) {
    console.log('integration: no CRDs in crds/ to install');
    return;
  }
  const fileArgs = files.sort().flatMap((f) => ['-f', join(crdDir, f)]);
  try {
    await run(kubectlPath, ['apply', '--server-side', '--force-conflicts', '--field-manager=integration-tests', ...fileArgs]);
    await run(kubectlPath, ['wait', '--for=condition=Established', '--timeout=60s', ...fileArgs]);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`installing crds/ failed: ${e.stderr?.trim() || e.message}`);
  }
}
