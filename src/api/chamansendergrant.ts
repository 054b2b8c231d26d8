// ChamanSenderGrant (SPEC section 3, Tenancy): cluster-scoped, owned by the cluster admins. It says
// which namespaces may have the operator act, with its operator-wide Chaman credentials, for which
// sender numbers. The CEL rules here are mirrored in cel-checks.ts for the offline `validate`.
import { SENDER_NUMBER_PATTERN } from '../domain/contact.ts';
import { conditions, observedGeneration } from './common.ts';
import { AGE_COLUMN, READY_COLUMNS, type CrdSource } from './crd.ts';
import { arr, obj, oneOf, str, type CelRule, type Schema } from './openapi.ts';

/** A namespace name (DNS-1123 label), as Kubernetes allows it. */
const NAMESPACE_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A label key: optional DNS-subdomain prefix and `/`, then a name of up to 63 characters. */
const LABEL_KEY_PATTERN = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** CEL rules, keyed so cel-checks.ts can mirror each one. */
export const CHAMAN_SENDER_GRANT_SPEC_RULES = {
  namespacesOrSelector: {
    rule: '(has(self.namespaces) && size(self.namespaces) > 0) || has(self.namespaceSelector)',
    message:
      'A ChamanSenderGrant needs spec.namespaces, spec.namespaceSelector or both: say which namespaces may act for spec.senderNumbers.',
  },
} satisfies Record<string, CelRule>;

export const MATCH_EXPRESSION_RULES = {
  valuesForInNotIn: {
    rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
    message: 'spec.namespaceSelector.matchExpressions: operator In and NotIn need at least one value in values.',
    fieldPath: '.values',
  },
  noValuesForExists: {
    rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
    message: 'spec.namespaceSelector.matchExpressions: operator Exists and DoesNotExist take no values; remove values.',
    fieldPath: '.values',
  },
} satisfies Record<string, CelRule>;

const labelValue = str('A label value.', { pattern: LABEL_VALUE_PATTERN, maxLength: 63 });

const namespaceSelector = obj(
  'Namespaces whose labels match this selector (a metav1.LabelSelector: matchLabels and matchExpressions, all ANDed). An empty selector ({}) matches every namespace.',
  {
    matchLabels: {
      type: 'object',
      description: 'Labels the namespace must carry, with these exact values.',
      additionalProperties: labelValue,
      maxProperties: 32,
    },
    matchExpressions: arr(
      obj(
        'A requirement on one label of the namespace.',
        {
          key: str('The label key.', { pattern: LABEL_KEY_PATTERN, maxLength: 316 }),
          operator: oneOf(LABEL_SELECTOR_OPERATORS, 'In, NotIn (the label is absent or has none of values), Exists or DoesNotExist.'),
          values: arr(labelValue, 'The values for In and NotIn; empty for Exists and DoesNotExist.', {
            'x-kubernetes-list-type': 'atomic',
            maxItems: 64,
          }),
        },
        ['key', 'operator'],
        { 'x-kubernetes-validations': Object.values(MATCH_EXPRESSION_RULES) },
      ),
      'Label requirements; every one must hold.',
      { 'x-kubernetes-list-type': 'atomic', maxItems: 32 },
    ),
  },
);

const spec: Schema = obj(
  'Which namespaces may have the operator act for which sender numbers with its operator-wide Chaman credentials.',
  {
    senderNumbers: arr(
      str('A sender number (numéro d\'expéditeur), digits only, as in ChamanSender spec.senderNumber.', {
        pattern: SENDER_NUMBER_PATTERN,
        maxLength: 10,
      }),
      'The sender numbers granted (a set, at least one).',
      { 'x-kubernetes-list-type': 'set', minItems: 1, maxItems: 1000 },
    ),
    namespaces: arr(
      str('A namespace name.', { pattern: NAMESPACE_PATTERN, maxLength: 63 }),
      'The namespaces granted, by name (a set). With namespaceSelector, a namespace matching either is granted.',
      { 'x-kubernetes-list-type': 'set', maxItems: 1000 },
    ),
    namespaceSelector,
  },
  ['senderNumbers'],
  { 'x-kubernetes-validations': Object.values(CHAMAN_SENDER_GRANT_SPEC_RULES) },
);

const claim = obj(
  'A ChamanSender that acts under this grant.',
  {
    namespace: str('Namespace of the ChamanSender.'),
    name: str('Name of the ChamanSender.'),
    senderNumber: str('Its sender number.'),
  },
  ['namespace', 'name', 'senderNumber'],
);

const status: Schema = obj('Observed state, written by the operator.', {
  observedGeneration,
  conditions,
  claims: arr(
    claim,
    'The ChamanSenders this grant covers (namespace and sender number granted; senders with their own credentialsSecretRef need no grant and are not listed).',
    { 'x-kubernetes-list-type': 'atomic' },
  ),
});

export const chamanSenderGrantCrd: CrdSource = {
  kind: 'ChamanSenderGrant',
  plural: 'chamansendergrants',
  singular: 'chamansendergrant',
  shortNames: ['csg'],
  scope: 'Cluster',
  description:
    'Lets namespaces have the chaman-operator act, with its operator-wide Chaman credentials, for the sender numbers listed. Cluster-scoped; for cluster admins.',
  spec,
  status,
  printerColumns: [
    { name: 'Senders', type: 'string', jsonPath: '.spec.senderNumbers' },
    { name: 'Namespaces', type: 'string', jsonPath: '.spec.namespaces' },
    ...READY_COLUMNS,
    { name: 'Selector', type: 'string', jsonPath: '.spec.namespaceSelector', priority: 1 },
    AGE_COLUMN,
  ],
};
