// Runs a container of a rendered Deployment (kubectl kustomize manifests/...) with podman the way a
// kubelet would run it, so the image is tested against what the manifests assume, not against what
// a test author remembered of them: read-only root filesystem, dropped capabilities, no privilege
// escalation, the memory and CPU limits, Secret volumes as files with defaultMode and the fsGroup,
// emptyDirs as size-limited tmpfs, env from values, fieldRefs and secretKeyRefs, args as written.
//
// One deliberate difference: runAsUser is not passed, so the process runs as the image's own USER
// and a test can check that it is the manifests' 65532 (a pod that only says runAsNonRoot, as many
// platform policies do, relies on it).
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ULIMIT_ARGS } from '../../../scripts/lib/podman.ts';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: { limits?: { cpu?: string; memory?: string } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number };
  emptyDir?: { sizeLimit?: string };
}
export interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { terminationGracePeriodSeconds?: number; securityContext?: { fsGroup?: number }; containers: Container[]; volumes?: Volume[] } } };
}

export interface PodmanRunPlan {
  /** Container name (also what `podman kill` and `podman rm` take). */
  name: string;
  image: string;
  /** Where the Deployment's fieldRefs point. */
  pod: { namespace: string; name: string };
  /** The Secrets the pod reads, by name: their data as text. */
  secrets: Record<string, Record<string, string>>;
  /** Folder for the Secret volumes' files. */
  workDir: string;
  /** Environment set on top of the manifest's (e.g. a loopback address instead of ":8080"). */
  envOverrides?: Record<string, string>;
  /** Rewrites the manifest's args (e.g. a free port instead of 8443). */
  rewriteArgs?: (args: string[]) => string[];
  /** Host files mounted read-only, beyond the manifest's volumes (e.g. a kubeconfig, as in-cluster config is absent). */
  extraMounts?: { hostPath: string; mountPath: string }[];
}

/** Kubernetes quantity (512Mi, 1Gi, 16Mi) to podman's bytes notation. */
function bytes(quantity: string): string {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`unsupported quantity ${quantity}`);
  const unit = { Ki: 'k', Mi: 'm', Gi: 'g' }[m[2] as 'Ki' | 'Mi' | 'Gi'] ?? '';
  return `${m[1]}${unit}`;
}

function cpus(quantity: string): string {
  return quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity;
}

export function containerOf(deployment: Deployment, name: string): Container {
  const container = deployment.spec.template.spec.containers.find((c) => c.name === name);
  if (!container) throw new Error(`Deployment ${deployment.metadata.name} has no container ${name}`);
  return container;
}

function envArgs(container: Container, plan: PodmanRunPlan): string[] {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const ref = e.valueFrom?.secretKeyRef;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (field === 'metadata.namespace') env[e.name] = plan.pod.namespace;
    else if (field === 'metadata.name') env[e.name] = plan.pod.name;
    else if (ref) env[e.name] = plan.secrets[ref.name]?.[ref.key] ?? '';
    else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
  }
  Object.assign(env, plan.envOverrides);
  return Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
}

/** Secret volumes as files (defaultMode, group fsGroup, as the kubelet writes them), emptyDirs as tmpfs. */
function volumeArgs(deployment: Deployment, container: Container, plan: PodmanRunPlan): string[] {
  const podSpec = deployment.spec.template.spec;
  const fsGroup = podSpec.securityContext?.fsGroup ?? 0;
  const args: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = podSpec.volumes?.find((v) => v.name === mount.name);
    if (volume?.secret) {
      const dir = join(plan.workDir, `${plan.name}-${volume.name}`);
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o755);
      for (const [key, text] of Object.entries(plan.secrets[volume.secret.secretName] ?? {})) {
        const file = join(dir, key);
        writeFileSync(file, text);
        chmodSync(file, volume.secret.defaultMode ?? 0o644);
        chownSync(file, 0, fsGroup);
      }
      args.push('--volume', `${dir}:${mount.mountPath}:${mount.readOnly ? 'ro' : 'rw'}`);
    } else if (volume?.emptyDir) {
      args.push('--tmpfs', `${mount.mountPath}:rw,mode=0777,size=${bytes(volume.emptyDir.sizeLimit ?? '64Mi')}`);
    } else {
      throw new Error(`volume ${mount.name}: only secret and emptyDir volumes are translated`);
    }
  }
  for (const m of plan.extraMounts ?? []) args.push('--volume', `${m.hostPath}:${m.mountPath}:ro`);
  return args;
}

function securityArgs(deployment: Deployment, container: Container): string[] {
  const sc = container.securityContext ?? {};
  const fsGroup = deployment.spec.template.spec.securityContext?.fsGroup;
  return [
    ...(sc.readOnlyRootFilesystem ? ['--read-only', '--read-only-tmpfs=false'] : []),
    ...(sc.allowPrivilegeEscalation === false ? ['--security-opt=no-new-privileges'] : []),
    ...(sc.privileged ? ['--privileged'] : []),
    ...(sc.capabilities?.drop ?? []).map((c) => `--cap-drop=${c}`),
    ...(sc.capabilities?.add ?? []).map((c) => `--cap-add=${c}`),
    ...(fsGroup !== undefined ? ['--group-add', String(fsGroup)] : []),
  ];
}

/** The `podman run` arguments (after `--runtime runc`) that run the container as its Deployment says. */
export function podmanRunArgs(deployment: Deployment, containerName: string, plan: PodmanRunPlan): string[] {
  const container = containerOf(deployment, containerName);
  const limits = container.resources?.limits ?? {};
  const args = plan.rewriteArgs ? plan.rewriteArgs(container.args ?? []) : (container.args ?? []);
  return [
    'run', '--rm', '--name', plan.name, '--network', 'host', ...ULIMIT_ARGS,
    ...(limits.memory ? ['--memory', bytes(limits.memory)] : []),
    ...(limits.cpu ? ['--cpus', cpus(limits.cpu)] : []),
    ...securityArgs(deployment, container),
    ...volumeArgs(deployment, container, plan),
    ...envArgs(container, plan),
    ...(container.command ? ['--entrypoint', JSON.stringify(container.command)] : []),
    plan.image,
    ...args,
  ];
}
