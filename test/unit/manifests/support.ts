// Helpers for the manifest tests: find a kubectl, build a kustomization, read YAML documents.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A Kubernetes object as the tests read it (loosely typed on purpose: the tests check shapes). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

/**
 * The kubectl to use, as a command and leading arguments: $CHAMAN_KUBECTL, else the machine's
 * kubectl, else the one built into the test control plane (`controlplane-<hash> kubectl ...`),
 * else `kubectl` on PATH.
 */
export function findKubectl(): string[] {
  const fromEnv = process.env.CHAMAN_KUBECTL;
  if (fromEnv) return [fromEnv];
  for (const candidate of ['/usr/bin/kubectl', '/usr/local/bin/kubectl']) {
    if (existsSync(candidate)) return [candidate];
  }
  // The test control plane's binary (scripts/lib/controlplane.ts caches it as controlplane-<hash>).
  const bin = join(REPO_ROOT, 'test/controlplane/bin');
  const built = existsSync(bin)
    ? readdirSync(bin)
        .filter((n) => /^controlplane-[0-9a-f]{16}$/.test(n))
        .map((n) => join(bin, n))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  if (built[0]) return [built[0], 'kubectl'];
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return ['kubectl'];
  } catch {
    throw new Error('no kubectl: install one, set CHAMAN_KUBECTL, or build test/controlplane (the integration setup does)');
  }
}

export function kubectl(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const [command, ...prefix] = findKubectl();
  return execFileSync(command!, [...prefix, ...args], {
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

const built = new Map<string, K8sObject[]>();

/** `kubectl kustomize <dir>` (dir relative to the repository), parsed; cached per directory. */
export function kustomize(dir: string): K8sObject[] {
  const cached = built.get(dir);
  if (cached) return cached;
  let text: string;
  try {
    text = kubectl(['kustomize', join(REPO_ROOT, dir)]);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? error);
    const hint = /crds/.test(stderr) && !existsSync(join(REPO_ROOT, 'crds/Kustomization'))
      ? '\n(crds/Kustomization is missing: src/api/generate.ts should write it next to the CRDs, listing them)'
      : '';
    throw new Error(`kubectl kustomize ${dir} failed:\n${stderr}${hint}`);
  }
  const objects = parseYamlDocuments(text);
  built.set(dir, objects);
  return objects;
}

/**
 * Builds a throw-away kustomization (outside the tree) that combines directories of the repository,
 * the way a user's own overlay would: e.g. the base plus a component.
 */
export function kustomizeCombination(resources: string[], components: string[] = []): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'chaman-kustomize-'));
  try {
    // kustomize wants relative paths; directories outside the kustomization root are allowed.
    const list = (paths: string[]) => paths.map((p) => `  - ${relative(dir, join(REPO_ROOT, p))}\n`).join('');
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${list(resources)}` +
        (components.length > 0 ? `components:\n${list(components)}` : ''),
    );
    return parseYamlDocuments(kubectl(['kustomize', dir]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseYamlDocuments(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

export function find(objects: K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ? `${namespace}/` : ''}${name}, found ${found.length}`);
  return found[0]!;
}

/** The kustomizations users apply: the default one and every overlay. */
export const KUSTOMIZATIONS = ['manifests', 'manifests/base', 'manifests/overlays/namespaced', 'manifests/overlays/monitoring', 'manifests/overlays/emulator'] as const;
