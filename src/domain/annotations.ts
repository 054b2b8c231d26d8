// Annotations and finalizers the operator reads and writes (SPEC section 3).
import { EXTERNAL_NAME_ANNOTATION } from './adoption.ts';

export const ANNOTATIONS = {
  externalName: EXTERNAL_NAME_ANNOTATION,
  paused: 'chaman.io/paused',
  reconcileRequestedAt: 'chaman.io/reconcile-requested-at',
  createPending: 'chaman.io/create-pending',
  /** Written with create-pending: what identifies the intended create (an account's name), so a lookup after a lost answer still finds it once the spec changed. */
  createIntent: 'chaman.io/create-intent',
  createSucceeded: 'chaman.io/create-succeeded',
  createFailed: 'chaman.io/create-failed',
} as const;

export const FINALIZER = 'chaman.io/finalizer';
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'chaman-operator' } as const;

export function isPaused(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[ANNOTATIONS.paused] === 'true';
}
