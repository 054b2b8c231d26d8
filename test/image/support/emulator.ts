// The Chaman emulator from the image, run as manifests/overlays/emulator runs it (HTTPS with a
// certificate of a private CA, tokens from a Secret file, state in an emptyDir), on a free loopback
// port, with the Secrets the operator's Deployment reads (chaman-api: url, token, ca.crt).
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { freePort } from '../../../src/devtools/free-port.ts';
import { waitFor } from '../../integration/support/cluster.ts';
import { containerName, deploymentNamed, imageRef, startContainer, type RunningContainer } from './container.ts';
import { servingCertificate } from './examples.ts';
import { podmanRunArgs } from './pod-to-podman.ts';

export interface ImageEmulator {
  container: RunningContainer;
  url: string;
  token: string;
  /** The Secrets of the overlay, by name, as text. */
  secrets: Record<string, Record<string, string>>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket.end() && true)).once('error', () => resolve(false));
  });
}

/** Starts the emulator container of `rendered` (kubectl kustomize overlays/emulator) and waits until it listens. */
export async function startImageEmulator(rendered: Record<string, unknown>[], workDir: string, namespace: string): Promise<ImageEmulator> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const token = randomBytes(24).toString('hex');
  const tls = servingCertificate(workDir);
  const secrets = {
    'chaman-api': { url, token, 'ca.crt': tls.ca },
    'chaman-emulator': { 'tls.crt': tls.cert, 'tls.key': tls.key, tokens: `${token}:*\n` },
  };
  const name = containerName('emulator');
  const container = startContainer(name, podmanRunArgs(deploymentNamed(rendered, 'chaman-emulator'), 'emulator', {
    name,
    image: imageRef(),
    pod: { namespace, name },
    secrets,
    workDir,
    // Loopback and a free port instead of the pod's 0.0.0.0:8443 (the host's network is shared).
    rewriteArgs: (args) => args.map((a) => (a === '--host=0.0.0.0' ? '--host=127.0.0.1' : a.startsWith('--port=') ? `--port=${port}` : a)),
  }));
  await waitFor('the emulator container to listen', () => container.child.exitCode !== null || listening(port), 60_000, 200);
  if (container.child.exitCode !== null) throw new Error(`the emulator container exited (${container.child.exitCode}):\n${container.output()}`);
  return { container, url, token, secrets };
}
