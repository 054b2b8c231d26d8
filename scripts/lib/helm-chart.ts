// Renders the Helm chart charts/chaman-operator from what `kubectl kustomize` builds of manifests/:
// manifests/ stays the one source of truth, and the chart is a generated artefact (`npm run generate`).
//
// Every object of manifests/base becomes a template, unchanged except where a value is a chart
// setting (image, replicas, resources, flags, names, namespace). The two variants are derived from
// the overlays rather than written twice:
//   - what overlays/monitoring adds to the base is rendered when monitoring.enabled;
//   - what overlays/namespaced removes from the base is rendered only when watchNamespaces is empty,
//     what it adds in `payroll` (a Role and RoleBinding) once per watched namespace, and what else it
//     adds (a read-only ClusterRole for the cluster-scoped grants) once, when watchNamespaces is set.
// test/unit/manifests/helm.test.ts checks that `helm template` with the matching values gives the
// same objects as `kubectl kustomize` of manifests/, overlays/namespaced and overlays/monitoring.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { kustomize, REPO_ROOT } from '../../test/unit/manifests/support.ts';
import { CHART_NOTES, chartHelpers, chartValues, GENERATED, toYaml, type WorkloadValues } from './helm-chart-text.ts';

/** A Kubernetes object as kustomize prints it. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ChartSources {
  /** `kubectl kustomize manifests/` */
  base: ManifestObject[];
  /** `kubectl kustomize manifests/overlays/namespaced` */
  namespaced: ManifestObject[];
  /** `kubectl kustomize manifests/overlays/monitoring` */
  monitoring: ManifestObject[];
  /** package.json's version: the chart's version and appVersion. */
  version: string;
}

export const CHART_DIR = 'charts/chaman-operator';
const NAME = 'chaman-operator';
const INSTALL_NAMESPACE = 'chaman-system';
const CREDENTIALS_SECRET = 'chaman-api';
const NAMESPACED_EXAMPLE = 'payroll'; // the namespace overlays/namespaced grants
const RELEASE_NAMESPACE = '{{ $.Release.Namespace }}';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * A value the renderer replaces by template text once the object is YAML: the marker is a plain
 * YAML scalar (or key), and the whole line that holds it becomes the snippet, at that line's indent.
 */
type Snippet = (indent: string, key: string | undefined, dash: string) => string;
interface Markers {
  add(snippet: Snippet): string;
  /** A scalar that is template text (kept out of the YAML printer, which would quote and escape it). */
  value(text: string): string;
  apply(yaml: string): string;
}

function markers(): Markers {
  const snippets: Snippet[] = [];
  return {
    add(snippet) {
      snippets.push(snippet);
      return `HELM__${snippets.length - 1}__`;
    },
    value(text) {
      return this.add((indent, key, dash) => `${indent}${dash}${key}: ${text}`);
    },
    apply(yaml) {
      return yaml.replace(/^( *)(- )?(?:(\S+): )?HELM__(\d+)__(?:: "")?$/gm, (_line, indent: string, dash: string | undefined, key: string | undefined, index: string) =>
        snippets[Number(index)]!(indent, key, dash ?? ''),
      );
    },
  };
}

/**
 * Helm reads `{{` and `}}` in a template as actions: the alerts and the dashboard hold them as text.
 * A raw-string action (backquotes) prints them back, and needs no escaping inside any YAML quoting.
 */
const escapeTemplateDelimiters = (yaml: string): string => yaml.replace(/\{\{|\}\}/g, (d) => `{{\`${d}\`}}`);

/** `text` with every line indented by `indent`. */
const indented = (text: string, indent: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => (line ? indent + line : line))
    .join('\n');

const id = (o: ManifestObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** A name of manifests/ as the chart renders it: `chaman-operator…` follows the release's fullname. */
const renamed = (name: string): string => `{{ include "chaman-operator.rename" (list $ ${JSON.stringify(name)}) }}`;

/** Object names, their references, the install namespace and the credentials Secret become chart settings. */
function parameterize(object: ManifestObject, namespace: string, m: Markers): ManifestObject {
  const copy = structuredClone(object);
  copy.metadata.name = m.value(renamed(copy.metadata.name));
  if (copy.metadata.namespace !== undefined) copy.metadata.namespace = m.value(namespace);
  const roleRef = copy.roleRef as { kind: string; name: string } | undefined;
  if (roleRef) roleRef.name = m.value(renamed(roleRef.name));
  for (const subject of (copy.subjects as { kind: string; name: string; namespace?: string }[] | undefined) ?? []) {
    if (subject.kind === 'ServiceAccount' && subject.namespace === INSTALL_NAMESPACE) {
      subject.name = m.value(renamed(subject.name));
      subject.namespace = m.value(RELEASE_NAMESPACE);
    }
  }
  return copy;
}

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  resources?: unknown;
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  volumes?: { secret?: { secretName: string } }[];
}

/** The operator's Deployment, with image, replicas, resources, flags and sharding (a StatefulSet) as settings. */
function workloadTemplate(deployment: ManifestObject, m: Markers): { object: ManifestObject; values: WorkloadValues } {
  const object = parameterize(deployment, RELEASE_NAMESPACE, m);
  const spec = object.spec as { replicas: number | string; strategy?: unknown; template: { spec: PodSpec } };
  const pod = spec.template.spec;
  if (pod.containers.length !== 1) throw new Error(`manifests/: the chart expects one container in Deployment ${NAME}, found ${pod.containers.length}`);
  const container = pod.containers[0]!;
  const image = /^(?<repository>[^:@]+)(?::(?<tag>[^@]+))?$/.exec(container.image)?.groups;
  if (!image?.repository || !image.tag) {
    throw new Error(`manifests/: Deployment ${NAME} image '${container.image}' has no tag (set images[].newTag in manifests/base/kustomization.yaml)`);
  }
  const values: WorkloadValues = {
    replicas: spec.replicas as number,
    image: { repository: image.repository, tag: image.tag, pullPolicy: container.imagePullPolicy ?? 'IfNotPresent' },
    resources: container.resources,
  };

  object.kind = m.value('{{ if $.Values.sharding.enabled }}StatefulSet{{ else }}Deployment{{ end }}');
  spec.replicas = m.value('{{ if $.Values.sharding.enabled }}{{ $.Values.sharding.shardCount }}{{ else }}{{ $.Values.replicas }}{{ end }}');
  const strategy = toYaml({ strategy: spec.strategy });
  spec.strategy = m.add((indent) =>
    [
      '{{- if $.Values.sharding.enabled }}',
      // One pod per shard, its ordinal the shard index; the metrics Service is its governing Service.
      `${indent}serviceName: ${renamed(`${NAME}-metrics`)}`,
      `${indent}podManagementPolicy: Parallel`,
      `${indent}updateStrategy:`,
      `${indent}  type: RollingUpdate`,
      '{{- else }}',
      indented(strategy, indent),
      '{{- end }}',
    ].join('\n'),
  );
  if (pod.serviceAccountName) pod.serviceAccountName = m.value(renamed(pod.serviceAccountName));
  container.image = m.value('"{{ $.Values.image.repository }}:{{ $.Values.image.tag }}"');
  container.imagePullPolicy = m.value('{{ $.Values.image.pullPolicy }}');
  container.args = [
    ...(container.args ?? []),
    m.add((indent) =>
      [
        // The shard index is the pod's ordinal: the operator reads it from POD_NAME (`chaman-operator-2` is shard 2).
        `{{- if $.Values.sharding.enabled }}\n${indent}- --shard-count={{ $.Values.sharding.shardCount }}\n{{- end }}`,
        `{{- with $.Values.extraArgs }}{{ toYaml . | nindent ${indent.length} }}{{ end }}`,
      ].join('\n'),
    ),
  ];
  for (const env of container.env ?? []) {
    if (env.valueFrom?.secretKeyRef?.name === CREDENTIALS_SECRET) env.valueFrom.secretKeyRef.name = m.value('{{ $.Values.credentialsSecret }}');
  }
  container.env = [
    {
      // First, where kustomize's strategic merge puts the namespaced overlay's CHAMAN_NAMESPACES.
      name: m.add((indent) =>
        ['{{- if $.Values.watchNamespaces }}', `${indent}- name: CHAMAN_NAMESPACES`, `${indent}  value: {{ join "," $.Values.watchNamespaces | quote }}`, '{{- end }}'].join('\n'),
      ),
    },
    ...(container.env ?? []),
    { name: m.add((indent) => `{{- with $.Values.extraEnv }}{{ toYaml . | nindent ${indent.length} }}{{ end }}`) },
  ];
  container.resources = m.add((indent, key) => `${indent}${key}:\n{{- toYaml $.Values.resources | nindent ${indent.length + 2} }}`);
  for (const volume of pod.volumes ?? []) {
    if (volume.secret?.secretName === CREDENTIALS_SECRET) volume.secret.secretName = m.value('{{ $.Values.credentialsSecret }}');
  }
  return { object, values };
}

/** The NetworkPolicy of /metrics: the namespace that may scrape it is a setting. */
function metricsPolicyTemplate(policy: ManifestObject, m: Markers): ManifestObject {
  const object = parameterize(policy, RELEASE_NAMESPACE, m);
  type Peer = { namespaceSelector?: { matchLabels?: Record<string, string> } };
  for (const rule of (object.spec as { ingress?: { from?: Peer[] }[] }).ingress ?? []) {
    for (const peer of rule.from ?? []) {
      const labels = peer.namespaceSelector?.matchLabels;
      if (labels?.[NAMESPACE_NAME_LABEL]) labels[NAMESPACE_NAME_LABEL] = m.value('{{ $.Values.metricsNetworkPolicy.monitoringNamespace }}');
    }
  }
  return object;
}

/** The chart's files, by path relative to the repository. */
export function renderChart(sources: ChartSources): Record<string, string> {
  const baseIds = new Set(sources.base.map(id));
  const namespacedIds = new Set(sources.namespaced.map(id));
  const files: Record<string, string> = {};
  const templates: Record<string, string[]> = {};
  const emit = (file: string, m: Markers, object: ManifestObject, wrap?: [string, string]) => {
    const text = m.apply(escapeTemplateDelimiters(toYaml(object)));
    (templates[file] ??= []).push(wrap ? `${wrap[0]}\n${text}${wrap[1]}\n` : text);
  };
  let values: WorkloadValues | undefined;

  for (const object of sources.base) {
    const m = markers();
    const file = `${object.kind.toLowerCase()}.yaml`;
    if (object.kind === 'CustomResourceDefinition') {
      files[`${CHART_DIR}/crds/${object.metadata.name}.yaml`] = GENERATED + toYaml(object);
    } else if (object.kind === 'Namespace') {
      // Helm installs into an existing namespace (or `--create-namespace`); docs/install.md labels it.
    } else if (object.kind === 'Deployment' && object.metadata.name === NAME) {
      const workload = workloadTemplate(object, m);
      values = workload.values;
      emit('workload.yaml', m, workload.object);
    } else if (object.kind === 'NetworkPolicy') {
      emit(file, m, metricsPolicyTemplate(object, m), ['{{- if $.Values.metricsNetworkPolicy.enabled }}', '{{- end }}']);
    } else if (!namespacedIds.has(id(object))) {
      // Cluster-wide RBAC that the namespaced mode replaces with Roles.
      emit(file, m, parameterize(object, RELEASE_NAMESPACE, m), ['{{- if not $.Values.watchNamespaces }}', '{{- end }}']);
    } else {
      emit(file, m, parameterize(object, RELEASE_NAMESPACE, m));
    }
  }
  if (!values) throw new Error(`manifests/: no Deployment ${NAME} in kubectl kustomize manifests/`);

  for (const object of sources.namespaced.filter((o) => !baseIds.has(id(o)))) {
    const m = markers();
    const file = `${object.kind.toLowerCase()}-namespaced.yaml`;
    if (object.metadata.namespace === NAMESPACED_EXAMPLE) {
      // RBAC in the example's watched namespace: once per entry of watchNamespaces.
      emit(file, m, parameterize(object, '{{ $namespace }}', m), ['{{- range $namespace := $.Values.watchNamespaces }}\n---', '{{- end }}']);
    } else {
      // Anything else the namespaced mode adds (e.g. a read-only ClusterRole for cluster-scoped kinds): once.
      emit(file, m, parameterize(object, RELEASE_NAMESPACE, m), ['{{- if $.Values.watchNamespaces }}', '{{- end }}']);
    }
  }

  for (const object of sources.monitoring.filter((o) => !baseIds.has(id(o)))) {
    const m = markers();
    const copy = parameterize(object, RELEASE_NAMESPACE, m);
    if (object.kind !== 'ConfigMap') copy.metadata.labels = { ...copy.metadata.labels, [m.add((indent) => `{{- with $.Values.monitoring.labels }}{{ toYaml . | nindent ${indent.length} }}{{ end }}`)]: '' };
    emit(`monitoring-${object.kind.toLowerCase()}.yaml`, m, copy, ['{{- if $.Values.monitoring.enabled }}', '{{- end }}']);
  }

  for (const [file, docs] of Object.entries(templates)) {
    files[`${CHART_DIR}/templates/${file}`] = GENERATED + docs.join('---\n');
  }
  files[`${CHART_DIR}/templates/_helpers.tpl`] = chartHelpers(NAME);
  files[`${CHART_DIR}/templates/NOTES.txt`] = CHART_NOTES;
  files[`${CHART_DIR}/values.yaml`] = chartValues(values, CREDENTIALS_SECRET);
  files[`${CHART_DIR}/Chart.yaml`] =
    GENERATED +
    toYaml({
      apiVersion: 'v2',
      name: NAME,
      description: 'Kubernetes operator for the technical channels of Belgian social security managed in Chaman (FTP, SFTP, SOAP, REST)',
      type: 'application',
      version: sources.version,
      appVersion: values.image.tag,
      keywords: ['chaman', 'onss', 'rsz', 'operator'],
    });
  files[`${CHART_DIR}/.helmignore`] = `${GENERATED}*.tgz\n`;
  return files;
}

/** The chart rendered from what `kubectl kustomize` builds of manifests/ now (reads crds/ too). */
export function renderChartFromManifests(): Record<string, string> {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return renderChart({
    base: kustomize('manifests') as ManifestObject[],
    namespaced: kustomize('manifests/overlays/namespaced') as ManifestObject[],
    monitoring: kustomize('manifests/overlays/monitoring') as ManifestObject[],
    version,
  });
}

/** Writes the chart and removes the files of an earlier rendering that it no longer has. */
export function writeChart(files: Record<string, string>, log: (line: string) => void): void {
  const dir = join(REPO_ROOT, CHART_DIR);
  const existing = existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(REPO_ROOT, join(e.parentPath, e.name))) : [];
  for (const path of existing.filter((p) => !(p in files))) {
    rmSync(join(REPO_ROOT, path));
    log(`removed ${path}`);
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(REPO_ROOT, path)), { recursive: true });
    writeFileSync(join(REPO_ROOT, path), content);
    log(`wrote ${path}`);
  }
}
