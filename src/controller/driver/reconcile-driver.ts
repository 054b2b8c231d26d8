// The reconcile driver shared by every kind (after Crossplane's managed reconciler and
// controller-runtime's reconcileHandler). It owns the finalizer, the create guard, the error policy,
// the per-reconcile deadline and AbortSignal, the reconcile's logger, events, metrics and the requeue;
// a kind supplies its preconditions, its status and an external client with four verbs (managed.ts).
// Level-triggered: every reconcile reads the current state and converges; it never relies on which
// event woke it.
import { EVENT_REASONS } from '../../api/common.ts';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WorkResult } from '../../kube/work-queue.ts';
import type { OperatorMetrics } from '../../observability/metrics.ts';
import { ANNOTATIONS, FINALIZER, isPaused } from '../../domain/annotations.ts';
import type { Outcome } from './conditions.ts';
import { keepReady, pausedOutcome, readyMessage } from './outcomes.ts';
import { classifyError, NeedsUserError, type ErrorVerdict } from './error-policy.ts';
import type { Connection, EventSink, ExternalClient, ManagedKind, ManagedObject, MetadataChange, Observation, ObjectPolicies, ReconcileScope } from './managed.ts';
import { sameStatus } from './status-equality.ts';
import { rfc3339 } from '../../domain/time.ts';
import { deadline } from '../../util/deadline.ts';

export interface DriverDeps<O extends ManagedObject> {
  /** Writes annotations and the finalizer in one patch, always with a resourceVersion precondition. */
  updateMetadata(object: O, change: MetadataChange): Promise<O>;
  events: EventSink;
  metrics: OperatorMetrics;
  logger: Logger;
  now(): Date;
  /** Every reconcile is cut short after this long (its AbortSignal reaches the backend's client). */
  reconcileTimeoutMs: number;
  /** Aborted at shutdown and when leadership is lost: work stops, nothing more is written. */
  stopSignal: AbortSignal;
  /** The delay before the next try of a failing key (per-key exponential backoff; never below the hint). */
  backoff(key: string, hintMs?: number): number;
  /** Turns the backend's errors into the error policy's classes; others pass as they are. */
  translateError(error: unknown): unknown;
}

type ResultLabel = 'success' | 'error' | 'invalid' | 'paused' | 'conflict' | 'aborted';

/** How a reconcile ended when nothing was thrown. */
interface Settled<R> {
  outcome?: Outcome;
  result: ResultLabel;
  resource?: R;
  requeueAt?: Date;
  event?: { reason: string; message: string };
  /** The finalizer was released: nothing more to write. */
  gone?: boolean;
}

interface State<O> {
  object: O;
}

/** The longest value of chaman.io/reconcile-requested-at copied into status (a timestamp or a pipeline id needs far less). */
export const MAX_HANDLED_REQUEST_LENGTH = 256;

/** How long a write to the backend may take before status says it is in progress. */
const PROGRESS_AFTER_MS = 1000;


export class ReconcileDriver<O extends ManagedObject, R> {
  private readonly kind: ManagedKind<O, R>;
  private readonly d: DriverDeps<O>;

  constructor(kind: ManagedKind<O, R>, deps: DriverDeps<O>) {
    this.kind = kind;
    this.d = deps;
  }

  /** One reconcile of one object (a copy from the cache). Every outcome is handled and counted here. */
  async reconcile(key: string, cached: O): Promise<WorkResult> {
    const started = performance.now();
    const log = this.d.logger.child({ reconcileId: randomBytes(4).toString('hex'), kind: this.kind.kind, object: key });
    const timeLimit = deadline(this.d.reconcileTimeoutMs, this.d.stopSignal);
    const signal = timeLimit.signal;
    const state: State<O> = { object: structuredClone(cached) };
    const scope: ReconcileScope = {
      signal,
      log,
      now: this.d.now(),
      event: (type, reason, message) => this.event(log, state.object, type, reason, message),
    };
    let result: ResultLabel = 'error';
    try {
      let settled: Settled<R>;
      try {
        settled = await this.run(state, scope);
      } catch (error) {
        const verdict = this.d.stopSignal.aborted ? ({ class: 'aborted', message: 'stopping' } as const) : classifyError(this.d.translateError(error), signal);
        result = verdictResult(verdict);
        return await this.concludeError(key, state, scope, verdict, error);
      }
      result = settled.result;
      return await this.conclude(state, scope, settled);
    } catch (error) {
      // Only a failed status write can land here.
      if (this.d.stopSignal.aborted) return undefined;
      if (classifyError(error).class === 'conflict') {
        // The copy was stale: its status is not written over a newer one; try again from a fresh copy.
        result = 'conflict';
        return afterConflict();
      }
      result = 'error';
      log.warn({ err: error }, 'could not record the outcome of the reconcile');
      return { requeueAfterMs: this.d.backoff(key), failed: true };
    } finally {
      timeLimit.dispose();
      const seconds = (performance.now() - started) / 1000;
      this.d.metrics.reconcileTotal.inc({ kind: this.kind.kind, result });
      this.d.metrics.reconcileDuration.observe({ kind: this.kind.kind }, seconds);
      log.debug({ result, durationMs: Math.round(seconds * 1000) }, 'reconciled');
    }
  }

  private async run(state: State<O>, scope: ReconcileScope): Promise<Settled<R>> {
    const kind = this.kind;
    const words = kind.wording;
    const policies = kind.policies(state.object);
    if (state.object.metadata.deletionTimestamp) return this.finalize(state, scope, policies);
    if (isPaused(state.object.metadata.annotations)) return { result: 'paused', outcome: pausedOutcome(state.object) };
    if (!policies.finalizer && hasFinalizer(state.object)) state.object = await this.d.updateMetadata(state.object, { finalizer: false });

    const connection = await kind.connect(state.object, scope);
    if ('stop' in connection) return stopped(connection);
    const external = connection.external;
    const observation = await external.observe();
    if (observation.ambiguous) throw new NeedsUserError(observation.ambiguous, { reason: 'Stalled', stalledReason: words.unidentifiedReason });
    if (observation.foreign) throw new NeedsUserError(observation.foreign, { reason: 'AdoptionConflict', stalledReason: 'AdoptionConflict' });
    if (!policies.manage) return this.report(state, scope, observation);

    const found = observation.resource;
    if (found !== undefined && kind.creates) await this.recordFound(state, scope, observation);
    if (found === undefined) {
      if (observation.vanished) {
        this.d.metrics.drift.inc({ kind: kind.kind, action: 'corrected' });
        scope.event('Warning', EVENT_REASONS.driftCorrected, words.vanished);
        state.object = await this.d.updateMetadata(state.object, { annotations: { [ANNOTATIONS.externalName]: null, [ANNOTATIONS.createSucceeded]: null } });
      }
      return this.create(state, scope, external, policies);
    }
    if (policies.finalizer && !hasFinalizer(state.object)) state.object = await this.d.updateMetadata(state.object, { finalizer: true });
    if (observation.differences.length === 0) return this.converged(state, scope, found);

    const what = observation.differences.join('; ');
    const updated = await this.whileSlow(state, scope, 'Updating', words.updating(what), () => external.update(observation));
    if (updated === 'recreate') {
      scope.event('Normal', EVENT_REASONS.replacing, words.recreating(what));
      await external.delete(observation);
      state.object = await this.d.updateMetadata(state.object, { annotations: { [ANNOTATIONS.externalName]: null, [ANNOTATIONS.createSucceeded]: null, [ANNOTATIONS.createPending]: null, [ANNOTATIONS.createIntent]: null } });
      return this.create(state, scope, external, policies);
    }
    if (updated.event) scope.event('Normal', updated.event.reason, updated.event.message);
    else if (observation.drift) {
      this.d.metrics.drift.inc({ kind: kind.kind, action: 'corrected' });
      scope.event('Warning', EVENT_REASONS.driftCorrected, words.driftCorrected(what));
    } else scope.event('Normal', EVENT_REASONS.updated, words.updated(what));
    return this.converged(state, scope, updated.resource);
  }

  /** A create whose outcome was unknown (a crash, a lost answer) had in fact succeeded, or an adoption: record it. */
  private async recordFound(state: State<O>, scope: ReconcileScope, observation: Observation<R>): Promise<void> {
    const annotations = state.object.metadata.annotations ?? {};
    if (annotations[ANNOTATIONS.externalName] === observation.externalName) return;
    const recovered = annotations[ANNOTATIONS.createPending] !== undefined;
    state.object = await this.d.updateMetadata(state.object, {
      annotations: {
        [ANNOTATIONS.externalName]: observation.externalName!,
        [ANNOTATIONS.createPending]: null,
        [ANNOTATIONS.createIntent]: null,
        ...(recovered ? { [ANNOTATIONS.createSucceeded]: scope.now.toISOString() } : {}),
      },
    });
    if (recovered) {
      scope.event('Normal', EVENT_REASONS.createRecovered, this.kind.wording.createRecovered(observation.externalName!));
    }
  }

  /**
   * The create guard: create-pending is written before the call, with the object's resourceVersion, so
   * a reconcile working from a stale copy gets a conflict instead of a second external object. A create whose
   * outcome is unknown keeps its stamp, and so its Idempotency-Key; only a definite refusal clears it.
   */
  private async create(state: State<O>, scope: ReconcileScope, external: Pick<ExternalClient<R>, 'create' | 'createIntent'>, policies: ObjectPolicies): Promise<Settled<R>> {
    const annotations = state.object.metadata.annotations ?? {};
    const stamp = annotations[ANNOTATIONS.createPending] ?? scope.now.toISOString();
    // A pending create keeps the intent it was first sent with: a later lookup must find that one.
    const intent = annotations[ANNOTATIONS.createPending] !== undefined ? annotations[ANNOTATIONS.createIntent] : external.createIntent?.();
    state.object = await this.d.updateMetadata(state.object, {
      annotations: { [ANNOTATIONS.createPending]: stamp, [ANNOTATIONS.createIntent]: intent ?? null, [ANNOTATIONS.createFailed]: null },
      ...(policies.finalizer ? { finalizer: true } : {}),
    });
    let created: { resource: R; externalName: string };
    try {
      created = await this.whileSlow(state, scope, 'Creating', this.kind.wording.creating, () => external.create(`chaman-operator-${state.object.metadata.uid}-${Date.parse(stamp)}`));
    } catch (error) {
      const translated = this.d.translateError(error);
      const definitelyNotCreated = !(translated instanceof NeedsUserError && translated.mayHaveCreated);
      if (!this.d.stopSignal.aborted && definitelyNotCreated && classifyError(translated).class === 'needsUser') {
        state.object = await this.d.updateMetadata(state.object, {
          annotations: { [ANNOTATIONS.createPending]: null, [ANNOTATIONS.createIntent]: null, [ANNOTATIONS.createFailed]: this.d.now().toISOString() },
        });
      }
      throw error;
    }
    state.object = await this.d.updateMetadata(state.object, {
      annotations: {
        [ANNOTATIONS.externalName]: created.externalName,
        [ANNOTATIONS.createPending]: null,
        [ANNOTATIONS.createIntent]: null,
        [ANNOTATIONS.createSucceeded]: this.d.now().toISOString(),
      },
    });
    scope.event('Normal', EVENT_REASONS.created, this.kind.wording.created(created.externalName));
    return this.converged(state, scope, created.resource);
  }

  private async converged(state: State<O>, scope: ReconcileScope, resource: R): Promise<Settled<R>> {
    await this.kind.afterConverged?.(state.object, resource, scope);
    const { ready, synced } = this.kind.wording.converged;
    return {
      result: 'success',
      resource,
      outcome: { ready: { status: 'True', reason: 'Available', message: ready }, synced: { ok: true, reason: 'ReconcileSuccess', message: synced }, progressing: false },
    };
  }

  /** managementPolicy Observe: adopt and report, never write to the backend. */
  private async report(state: State<O>, scope: ReconcileScope, observation: Observation<R>): Promise<Settled<R>> {
    const found = observation.resource;
    const words = this.kind.wording.observed;
    if (found === undefined) {
      const message = words.notFound;
      return { result: 'success', outcome: { ready: { status: 'False', reason: 'Creating', message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: false, stalled: { reason: 'NotFound', message } } };
    }
    if (this.kind.creates && state.object.metadata.annotations?.[ANNOTATIONS.externalName] !== observation.externalName) {
      state.object = await this.d.updateMetadata(state.object, { annotations: { [ANNOTATIONS.externalName]: observation.externalName! } });
    }
    if (observation.differences.length === 0) {
      await this.kind.afterConverged?.(state.object, found, scope);
      const message = words.matches;
      return { result: 'success', resource: found, outcome: { ready: { status: 'True', reason: 'Available', message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: false } };
    }
    const message = `Observed drift (managementPolicy Observe, nothing is changed): ${observation.differences.join('; ')}.`;
    if (readyMessage(state.object) !== message) {
      this.d.metrics.drift.inc({ kind: this.kind.kind, action: 'reported' });
      scope.event('Warning', EVENT_REASONS.driftDetected, message);
    }
    return {
      result: 'success',
      resource: found,
      // Stalled: under Observe only a person can converge it (kstatus tools then report it, not "healthy").
      outcome: { ready: { status: 'False', reason: 'Drifted', message }, synced: { ok: true, reason: 'ReconcileSuccess', message: words.driftSynced }, progressing: false, stalled: { reason: 'Drifted', message } },
    };
  }

  /** Deletion: delete the external object (or orphan it) and release the finalizer. A create still pending is looked up first. */
  private async finalize(state: State<O>, scope: ReconcileScope, policies: ObjectPolicies): Promise<Settled<R>> {
    if (!hasFinalizer(state.object)) return { result: 'success', gone: true };
    const connection: Connection<R> | { release: string } = await this.kind.connectForDeletion(state.object, scope);
    if ('stop' in connection) return stopped(connection);
    const externalName = state.object.metadata.annotations?.[ANNOTATIONS.externalName];
    if ('release' in connection) {
      scope.event('Warning', EVENT_REASONS.orphaned, connection.release);
    } else if (policies.deleteExternal) {
      const observation = await connection.external.observe();
      if (observation.ambiguous) throw new NeedsUserError(`Cannot delete: ${observation.ambiguous}`, { reason: 'Stalled', stalledReason: this.kind.wording.unidentifiedReason });
      if (observation.foreign) scope.event('Warning', EVENT_REASONS.orphaned, observation.foreign);
      else if (observation.resource !== undefined) {
        await connection.external.delete(observation);
        scope.event('Normal', EVENT_REASONS.deleted, this.kind.wording.deleted(observation.externalName!));
      }
    } else if (externalName) {
      scope.event('Normal', EVENT_REASONS.orphaned, this.kind.wording.orphaned(externalName));
    }
    await this.d.updateMetadata(state.object, { finalizer: false });
    return { result: 'success', gone: true };
  }

  /**
   * Runs a write to the backend; when it takes longer than PROGRESS_AFTER_MS, status says Ready=False with a
   * progress reason meanwhile. A quick answer goes straight to the final status: one write, not two.
   */
  private async whileSlow<T>(state: State<O>, scope: ReconcileScope, reason: 'Creating' | 'Updating', message: string, work: () => Promise<T>): Promise<T> {
    const outcome: Outcome = { ready: { status: 'False', reason, message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: true };
    let written: Promise<unknown> | undefined;
    const timer = setTimeout(() => {
      written = this.writeStatus(state, scope, outcome, undefined).catch((err) => scope.log.warn({ err }, 'could not write the progress status'));
    }, PROGRESS_AFTER_MS);
    try {
      return await work();
    } finally {
      clearTimeout(timer);
      await written;
    }
  }

  private async writeStatus(state: State<O>, scope: ReconcileScope, outcome: Outcome, resource: R | undefined): Promise<Date | undefined> {
    const { status, requeueAt } = this.kind.composeStatus(state.object, outcome, resource, scope.now);
    // Flux's convention: status answers a forced reconcile, so a person or a pipeline can wait for it.
    const requested = state.object.metadata.annotations?.[ANNOTATIONS.reconcileRequestedAt] ?? state.object.status?.lastHandledReconcileAt;
    if (requested !== undefined) status.lastHandledReconcileAt = requested.slice(0, MAX_HANDLED_REQUEST_LENGTH);
    if (!sameStatus(state.object.status, status)) {
      status.lastSyncTime = rfc3339(scope.now);
      const resourceVersion = await this.kind.writeStatus(state.object, status);
      state.object.status = status; // what follows compares with what was just written
      // Our own status write moved the resourceVersion: the next guarded write starts from it.
      if (resourceVersion) state.object.metadata.resourceVersion = resourceVersion;
    }
    return requeueAt;
  }

  private async conclude(state: State<O>, scope: ReconcileScope, settled: Settled<R>): Promise<WorkResult> {
    if (settled.gone || !settled.outcome) return undefined;
    if (settled.event && readyMessage(state.object) !== settled.outcome.ready.message) {
      scope.event('Warning', settled.event.reason, settled.event.message);
    }
    const statusRequeue = await this.writeStatus(state, scope, settled.outcome, settled.resource);
    const times = [statusRequeue, settled.requeueAt].filter((d): d is Date => d !== undefined).map((d) => d.getTime() - scope.now.getTime());
    return times.length ? { requeueAfterMs: Math.max(1000, Math.min(...times)) } : undefined;
  }

  private async concludeError(key: string, state: State<O>, scope: ReconcileScope, verdict: ErrorVerdict, error: unknown): Promise<WorkResult> {
    const log = scope.log;
    switch (verdict.class) {
      case 'aborted':
        log.info({ reason: verdict.message }, 'reconcile stopped; any create in flight keeps its guard');
        return undefined;
      case 'conflict':
        // Lost a race on a stale copy: the work queue gives the next try a fresh one. Not an error.
        log.debug({ err: error }, 'conflict on a stale copy; trying again');
        return afterConflict();
      case 'kubernetes': {
        const delay = this.d.backoff(key, verdict.retryAfterMs);
        log.warn({ err: error, retryInMs: delay }, 'Kubernetes API error; will retry');
        await this.writeStatus(state, scope, keepReady(state.object, `${verdict.message}; next try at ${rfc3339(new Date(scope.now.getTime() + delay))}.`), undefined).catch(() => undefined);
        return { requeueAfterMs: delay, failed: true };
      }
      case 'transient': {
        const delay = this.d.backoff(key, verdict.retryAfterMs);
        const next = rfc3339(new Date(scope.now.getTime() + delay));
        log.warn({ err: error, retryInMs: delay }, 'reconcile failed; will retry');
        if (readyMessage(state.object) !== verdict.outcome.ready.message) scope.event('Warning', verdict.eventReason, verdict.outcome.ready.message);
        const outcome: Outcome = { ...verdict.outcome, synced: { ...verdict.outcome.synced, message: `${verdict.outcome.synced.message}; next try at ${next}.` } };
        await this.writeStatus(state, scope, outcome, undefined);
        return { requeueAfterMs: delay, failed: true };
      }
      case 'needsUser': {
        log.warn({ reason: verdict.eventReason }, verdict.outcome.ready.message);
        if (readyMessage(state.object) !== verdict.outcome.ready.message) scope.event('Warning', verdict.eventReason, verdict.outcome.ready.message);
        await this.writeStatus(state, scope, verdict.outcome, undefined);
        return verdict.recheckAfterMs !== undefined ? { requeueAfterMs: verdict.recheckAfterMs } : undefined;
      }
    }
  }

  private event(log: Logger, object: O, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (type === 'Normal') {
      log.info({ reason }, message);
      this.d.events.normal(object, reason, message);
    } else {
      log.warn({ reason }, message);
      this.d.events.warning(object, reason, message);
    }
  }
}

/** A write lost a race on a stale copy: soon again, from the cache's fresher copy; not a failure. */
function afterConflict(): WorkResult {
  return { requeueAfterMs: 200 + Math.round(Math.random() * 800) };
}

function hasFinalizer(object: ManagedObject): boolean {
  return object.metadata.finalizers?.includes(FINALIZER) ?? false;
}

function stopped<R>(connection: Extract<Connection<R>, { stop: Outcome }>): Settled<R> {
  return {
    result: connection.result,
    outcome: connection.stop,
    ...(connection.requeueAt ? { requeueAt: connection.requeueAt } : {}),
    ...(connection.event ? { event: connection.event } : {}),
  };
}

function verdictResult(verdict: ErrorVerdict): ResultLabel {
  switch (verdict.class) {
    case 'conflict':
      return 'conflict';
    case 'aborted':
      return 'aborted';
    case 'needsUser':
      return verdict.outcome.invalid ? 'invalid' : 'error';
    default:
      return 'error';
  }
}

