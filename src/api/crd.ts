// Turns a CrdSource into an apiextensions.k8s.io/v1 CustomResourceDefinition.
import { GROUP, VERSION } from './common.ts';
import type { Schema } from './openapi.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'boolean';
  jsonPath: string;
  priority?: number;
  description?: string;
}

/** The columns every kind shows: Ready (with its reason at -o wide) and Age. */
export const READY_COLUMNS: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
];
export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export interface CrdSource {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Namespaced unless told: only ChamanSenderGrant, owned by the cluster admins, is cluster-scoped. */
  scope?: 'Namespaced' | 'Cluster';
  description: string;
  spec: Schema;
  status: Schema;
  printerColumns: PrinterColumn[];
}

/** The schema of the whole object (apiVersion, kind, metadata, spec, status). */
export function objectSchema(source: CrdSource): Schema {
  return {
    type: 'object',
    description: source.description,
    properties: {
      apiVersion: { type: 'string', description: 'chaman.io/v1alpha1' },
      kind: { type: 'string', description: source.kind },
      metadata: { type: 'object' },
      spec: source.spec,
      status: source.status,
    },
    required: ['spec'],
  };
}

export function buildCrd(source: CrdSource): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${source.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'chaman-operator', 'app.kubernetes.io/part-of': 'chaman-operator' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: source.kind,
        listKind: `${source.kind}List`,
        plural: source.plural,
        singular: source.singular,
        shortNames: source.shortNames,
        categories: ['chaman'],
      },
      scope: source.scope ?? 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: objectSchema(source) },
          subresources: { status: {} },
          additionalPrinterColumns: source.printerColumns,
        },
      ],
    },
  };
}
