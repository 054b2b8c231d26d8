// Schema pieces both kinds share: conditions (metav1.Condition), object references, durations.
import { arr, int, obj, oneOf, str, type Schema } from './openapi.ts';

export const GROUP = 'chaman.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * The reasons of the Ready condition (SPEC section 3): Available when True, the others when False or
 * Unknown. The one list the controller, the metrics and the docs' tables follow.
 */
export const READY_REASONS = [
  'Available',
  'Creating',
  'Updating',
  'Deleting',
  'Invalid',
  'SenderNotReady',
  'AccessDenied',
  'BackendUnavailable',
  'RequiresReplacement',
  'Paused',
  'Drifted',
  'Stalled',
  'NotGranted',
  'SenderConflict',
  'AdoptionConflict',
] as const;
export type ReadyReason = (typeof READY_REASONS)[number];

/**
 * The reasons of the operator's own events (Warning events also use the Ready, Invalid and Stalled
 * reasons): stable, for alerting and `kubectl describe`. The one table the driver and the kinds use.
 */
export const EVENT_REASONS = {
  created: 'Created',
  updated: 'Updated',
  deleted: 'Deleted',
  orphaned: 'Orphaned',
  replacing: 'Replacing',
  createRecovered: 'CreateRecovered',
  contactCreated: 'ContactCreated',
  contactUpdated: 'ContactUpdated',
  driftCorrected: 'DriftCorrected',
  driftDetected: 'DriftDetected',
  ruleWarning: 'RuleWarning',
} as const;

const CONDITION_REASON = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

export const conditions: Schema = arr(
  obj(
    'A condition in the shape of metav1.Condition.',
    {
      type: str('Ready, Synced, Invalid, CertExpiring, CertExpired, Reconciling or Stalled.', { maxLength: 316 }),
      status: oneOf(['True', 'False', 'Unknown'], 'Status of the condition.'),
      observedGeneration: int('The metadata.generation the condition was computed from.', { minimum: 0 }),
      lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
      reason: str('A CamelCase reason, stable for alerting and events.', {
        maxLength: 1024,
        minLength: 1,
        pattern: CONDITION_REASON,
      }),
      message: str('What is wrong and what to do: names the field and the rule ID.', { maxLength: 32768 }),
    },
    ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  ),
  'Conditions: Ready, Synced, Invalid, Reconciling, Stalled (kstatus), and for accounts CertExpiring and CertExpired.',
  { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], maxItems: 16 },
);

export const observedGeneration: Schema = int('The metadata.generation the status was written for.', {
  minimum: 0,
});

export const K8S_NAME_MAX = 253;

export function localRef(description: string, extraProps: Record<string, Schema> = {}): Schema {
  return obj(
    description,
    { name: str('Name of the object in the same namespace.', { minLength: 1, maxLength: K8S_NAME_MAX }), ...extraProps },
    ['name'],
  );
}

export function keyedRef(description: string, defaultKey: string, keyDoc: string): Schema {
  return localRef(description, {
    key: str(`${keyDoc} Defaults to \`${defaultKey}\`.`, {
      default: defaultKey,
      minLength: 1,
      maxLength: K8S_NAME_MAX,
      pattern: '^[-._a-zA-Z0-9]+$',
    }),
  });
}

/** Go/Kubernetes duration syntax, as metav1.Duration writes it (`720h`, `1h30m`, `45s`). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
