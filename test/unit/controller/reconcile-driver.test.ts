// The reconcile driver on its own, as Crossplane tests its managed reconciler: a fake kind with
// function-valued external clients and fake ports, one row per path. No Kubernetes, no Chaman.
import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, FINALIZER } from '../../../src/domain/annotations.ts';
import { InvalidError, NeedsUserError, TransientError } from '../../../src/controller/driver/error-policy.ts';
import type { Condition, Outcome } from '../../../src/controller/driver/conditions.ts';
import { mergeConditions, outcomeConditions } from '../../../src/controller/driver/conditions.ts';
import type { Connection, ExternalClient, ManagedKind, ManagedObject, MetadataChange, Observation, ObjectPolicies, Updated } from '../../../src/controller/driver/managed.ts';
import { ReconcileDriver } from '../../../src/controller/driver/reconcile-driver.ts';
import { chamanWording } from '../../../src/controller/chaman-wording.ts';
import { KubeApiError } from '../../../src/kube/client.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createOperatorMetrics } from '../../../src/observability/metrics.ts';

interface FakeStatus {
  observedGeneration?: number;
  lastHandledReconcileAt?: string;
  conditions?: Condition[];
  lastSyncTime?: string;
  external?: string;
}
interface FakeObject extends ManagedObject {
  status?: FakeStatus;
}
interface Resource {
  id: string;
}

const NOW = new Date('2026-12-01T10:00:00Z');

/** Every call the driver made, in order, so a row can assert what happened before what. */
type Call =
  | { op: 'metadata'; change: MetadataChange }
  | { op: 'observe' | 'delete' | 'connect' | 'connectForDeletion' }
  | { op: 'create'; key: string }
  | { op: 'update' }
  | { op: 'status'; status: FakeStatus }
  | { op: 'event'; type: 'Normal' | 'Warning'; reason: string; message: string };

interface ExternalFns {
  observe?: () => Promise<Observation<Resource>>;
  createIntent?: () => string;
  create?: (key: string) => Promise<{ resource: Resource; externalName: string }>;
  update?: (o: Observation<Resource>) => Promise<Updated<Resource> | 'recreate'>;
  delete?: (o: Observation<Resource>) => Promise<void>;
}

interface Row {
  object?: Partial<FakeObject['metadata']> & { status?: FakeStatus };
  policies?: Partial<ObjectPolicies>;
  /** What connect() returns: external client functions, or a stop. */
  connect?: ExternalFns | Extract<Connection<Resource>, { stop: Outcome }>;
  connectForDeletion?: ExternalFns | { release: string };
  /** updateMetadata fails with this the n-th time (1-based). */
  metadataFails?: { at: number; error: Error };
  /** The backend adapter's translation of errors (identity unless a row says otherwise). */
  translateError?: (error: unknown) => unknown;
  stopped?: boolean;
}

const found = (id = 'acc-1'): Observation<Resource> => ({ resource: { id }, externalName: id, differences: [] });
const absent = (): Observation<Resource> => ({ differences: [] });

function harness(row: Row) {
  const calls: Call[] = [];
  const object: FakeObject = {
    apiVersion: 'test/v1',
    kind: 'Fake',
    metadata: { name: 'obj', namespace: 'ns', uid: 'uid-1', generation: 2, resourceVersion: '10', creationTimestamp: '2026-11-01T00:00:00Z', ...row.object },
    spec: {},
    ...(row.object?.status ? { status: row.object.status } : {}),
  };
  delete (object.metadata as { status?: unknown }).status;
  let metadataWrites = 0;
  const external = (fns: ExternalFns): ExternalClient<Resource> => ({
    observe: async () => (calls.push({ op: 'observe' }), (fns.observe ?? (async () => absent()))()),
    create: async (key) => (calls.push({ op: 'create', key }), (fns.create ?? (async () => ({ resource: { id: 'acc-new' }, externalName: 'acc-new' })))(key)),
    update: async (o) => (calls.push({ op: 'update' }), (fns.update ?? (async () => ({ resource: { id: o.externalName! } })))(o)),
    delete: async (o) => (calls.push({ op: 'delete' }), (fns.delete ?? (async () => undefined))(o)),
    ...(fns.createIntent ? { createIntent: fns.createIntent } : {}),
  });
  const kind: ManagedKind<FakeObject, Resource> = {
    kind: 'Fake',
    creates: true,
    // The words the driver uses come from the kind; the reason here is the one the rows assert.
    wording: chamanWording('fake', 'CannotIdentifyAccount'),
    policies: () => ({ manage: true, deleteExternal: true, finalizer: true, ...row.policies }),
    connect: async () => {
      calls.push({ op: 'connect' });
      const c = row.connect ?? {};
      return 'stop' in c ? (c as Connection<Resource>) : { external: external(c as ExternalFns) };
    },
    connectForDeletion: async () => {
      calls.push({ op: 'connectForDeletion' });
      const c = row.connectForDeletion ?? {};
      return 'release' in c ? c : { external: external(c as ExternalFns) };
    },
    composeStatus: (o, outcome, resource, now) => ({
      status: {
        observedGeneration: o.metadata.generation ?? 0,
        conditions: mergeConditions(o.status?.conditions, outcomeConditions(outcome), o.metadata.generation ?? 0, now),
        ...(resource ? { external: resource.id } : o.status?.external ? { external: o.status.external } : {}),
      },
    }),
    writeStatus: async (_o, status) => (calls.push({ op: 'status', status: structuredClone(status) }), '12'),
  };
  const stop = new AbortController();
  if (row.stopped) stop.abort(new Error('stopping'));
  const driver = new ReconcileDriver(kind, {
    updateMetadata: async <T extends ManagedObject>(o: T, change: MetadataChange): Promise<T> => {
      metadataWrites++;
      calls.push({ op: 'metadata', change });
      if (row.metadataFails?.at === metadataWrites) throw row.metadataFails.error;
      const next = structuredClone(o);
      const annotations = { ...next.metadata.annotations };
      for (const [k, v] of Object.entries(change.annotations ?? {})) {
        if (v === null) delete annotations[k];
        else annotations[k] = v;
      }
      next.metadata.annotations = annotations;
      if (change.finalizer === true) next.metadata.finalizers = [...new Set([...(next.metadata.finalizers ?? []), FINALIZER])];
      if (change.finalizer === false) next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
      next.metadata.resourceVersion = String(Number(next.metadata.resourceVersion ?? '0') + 1);
      return next;
    },
    events: {
      normal: (_o, reason, message) => calls.push({ op: 'event', type: 'Normal', reason, message }),
      warning: (_o, reason, message) => calls.push({ op: 'event', type: 'Warning', reason, message }),
    },
    metrics: createOperatorMetrics(),
    logger: createLogger({ level: 'silent' }),
    now: () => NOW,
    reconcileTimeoutMs: 60_000,
    stopSignal: stop.signal,
    backoff: (_key, hint) => Math.max(hint ?? 0, 4_000),
    translateError: row.translateError ?? ((e) => e),
  });
  return { run: () => driver.reconcile('ns/obj', object), calls };
}

const ops = (calls: Call[]) => calls.map((c) => c.op);
const lastStatus = (calls: Call[]) => calls.filter((c): c is Extract<Call, { op: 'status' }> => c.op === 'status').at(-1)?.status;
const condition = (calls: Call[], type: string) => lastStatus(calls)?.conditions?.find((c) => c.type === type);
const events = (calls: Call[]) => calls.filter((c): c is Extract<Call, { op: 'event' }> => c.op === 'event').map((e) => `${e.type}/${e.reason}`);
const annotationWrites = (calls: Call[]) => calls.filter((c): c is Extract<Call, { op: 'metadata' }> => c.op === 'metadata').map((c) => c.change.annotations ?? {});

describe('ReconcileDriver: one row per path', () => {
  it('create: the guard (create-pending, with the finalizer) is written before Chaman is called, then the record, an event and Ready', async () => {
    const h = harness({ connect: { observe: async () => absent() } });
    expect(await h.run()).toBeUndefined();
    expect(ops(h.calls)).toEqual(['connect', 'observe', 'metadata', 'create', 'metadata', 'event', 'status']);
    const [guard, record] = h.calls.filter((c): c is Extract<Call, { op: 'metadata' }> => c.op === 'metadata');
    expect(guard!.change).toMatchObject({ finalizer: true, annotations: { [ANNOTATIONS.createPending]: NOW.toISOString(), [ANNOTATIONS.createFailed]: null } });
    expect(record!.change.annotations).toMatchObject({ [ANNOTATIONS.externalName]: 'acc-new', [ANNOTATIONS.createPending]: null });
    expect(record!.change.annotations![ANNOTATIONS.createSucceeded]).toBeTypeOf('string');
    expect(events(h.calls)).toEqual(['Normal/Created']);
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(lastStatus(h.calls)?.external).toBe('acc-new');
  });

  it('create retried after an unknown outcome: the pending stamp is kept, so the Idempotency-Key is the same', async () => {
    const keys: string[] = [];
    const pending = '2026-11-30T08:00:00.000Z';
    for (let i = 0; i < 2; i++) {
      const h = harness({ object: { annotations: { [ANNOTATIONS.createPending]: pending }, finalizers: [FINALIZER] }, connect: { observe: async () => absent() } });
      await h.run();
      keys.push((h.calls.find((c) => c.op === 'create') as { key: string }).key);
      expect(annotationWrites(h.calls)[0]![ANNOTATIONS.createPending]).toBe(pending);
    }
    expect(keys[0]).toBe(keys[1]);
    const fresh = harness({ connect: { observe: async () => absent() } });
    await fresh.run();
    expect((fresh.calls.find((c) => c.op === 'create') as { key: string }).key).not.toBe(keys[0]);
  });

  it('create that fails after commit (Chaman unavailable): the guard stays, Synced=False with the next try, backoff', async () => {
    const h = harness({ connect: { observe: async () => absent(), create: async () => Promise.reject(new TransientError('Chaman is unavailable (connection reset)')) } });
    const result = await h.run();
    expect(result).toEqual({ requeueAfterMs: 4_000, failed: true });
    // Only the guard was written: nothing cleared it.
    expect(annotationWrites(h.calls)).toHaveLength(1);
    expect(annotationWrites(h.calls)[0]![ANNOTATIONS.createPending]).toBeDefined();
    expect(condition(h.calls, 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcileError' });
    expect(condition(h.calls, 'Synced')!.message).toMatch(/next try at 2026-12-01T10:00:04Z/);
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'False', reason: 'BackendUnavailable' });
    expect(events(h.calls)).toEqual(['Warning/BackendUnavailable']);
  });

  it('create refused for a rule (a user error): the pending stamp is cleared and create-failed written, Invalid and Stalled, no fast retry', async () => {
    const h = harness({ connect: { observe: async () => absent(), create: async () => Promise.reject(new InvalidError('bad', [{ field: 'password', rule: 'R5', severity: 'error', message: 'too long' }])) } });
    expect(await h.run()).toBeUndefined();
    const [, clear] = annotationWrites(h.calls);
    expect(clear).toMatchObject({ [ANNOTATIONS.createPending]: null });
    expect(clear![ANNOTATIONS.createFailed]).toBeTypeOf('string');
    expect(condition(h.calls, 'Invalid')).toMatchObject({ status: 'True', reason: 'InvalidPassword' });
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'True' });
  });

  it('create that Chaman says may already have happened (mayHaveCreated): Stalled, and the guard and its intent stay', async () => {
    const maybe = new NeedsUserError('an earlier create may have made it', { stalledReason: 'CreateOutcomeUnknown', mayHaveCreated: true });
    const h = harness({ connect: { observe: async () => absent(), create: async () => Promise.reject(maybe), createIntent: () => 'first-name' } });
    expect(await h.run()).toBeUndefined();
    expect(annotationWrites(h.calls)).toHaveLength(1); // the guard only: nothing cleared it
    expect(annotationWrites(h.calls)[0]).toMatchObject({ [ANNOTATIONS.createPending]: NOW.toISOString(), [ANNOTATIONS.createIntent]: 'first-name' });
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'True', reason: 'CreateOutcomeUnknown' });
  });

  it('a pending create keeps the intent it was first sent with, whatever the client would send now', async () => {
    const pending = { [ANNOTATIONS.createPending]: '2026-11-30T08:00:00.000Z', [ANNOTATIONS.createIntent]: 'first-name' };
    const h = harness({ object: { annotations: pending, finalizers: [FINALIZER] }, connect: { observe: async () => absent(), createIntent: () => 'second-name' } });
    await h.run();
    expect(annotationWrites(h.calls)[0]).toMatchObject(pending);
    expect(annotationWrites(h.calls)[1]).toMatchObject({ [ANNOTATIONS.createPending]: null, [ANNOTATIONS.createIntent]: null });
  });

  it("a backend's own error reaches the error policy through the backend's translation, never raw", async () => {
    class BackendSaysNo extends Error {}
    const translateError = (e: unknown) => (e instanceof BackendSaysNo ? new NeedsUserError('the backend refused', { reason: 'AccessDenied', stalledReason: 'AccessDenied' }) : e);
    const raw = harness({ connect: { observe: async () => Promise.reject(new BackendSaysNo('no')) } });
    await raw.run();
    expect(condition(raw.calls, 'Ready')).toMatchObject({ reason: 'BackendUnavailable' }); // untranslated: just a failure
    const translated = harness({ translateError, connect: { observe: async () => Promise.reject(new BackendSaysNo('no')) } });
    await translated.run();
    expect(condition(translated.calls, 'Ready')).toMatchObject({ status: 'False', reason: 'AccessDenied' });
    expect(condition(translated.calls, 'Stalled')).toMatchObject({ status: 'True', reason: 'AccessDenied' });
  });

  it('a write that loses a race on a stale copy (409): retried soon from a fresh copy, no status, no event', async () => {
    const conflict = new KubeApiError({ message: 'the object has been modified', status: 409, reason: 'Conflict', verb: 'patch', resource: 'fakes' });
    const h = harness({ connect: { observe: async () => absent() }, metadataFails: { at: 1, error: conflict } });
    const result = (await h.run()) as { requeueAfterMs: number; failed?: boolean };
    expect(result.failed).toBeUndefined();
    expect(result.requeueAfterMs).toBeGreaterThanOrEqual(200);
    expect(result.requeueAfterMs).toBeLessThanOrEqual(1000);
    expect(ops(h.calls)).not.toContain('create');
    expect(ops(h.calls)).not.toContain('status');
    expect(events(h.calls)).toEqual([]);
  });

  it('vanished (deleted in Chaman by hand): DriftCorrected, the record cleared, created again', async () => {
    const h = harness({
      object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1', [ANNOTATIONS.createSucceeded]: 'x' }, finalizers: [FINALIZER] },
      connect: { observe: async () => ({ vanished: true, differences: [] }) },
    });
    await h.run();
    expect(events(h.calls)).toEqual(['Warning/DriftCorrected', 'Normal/Created']);
    expect(annotationWrites(h.calls)[0]).toEqual({ [ANNOTATIONS.externalName]: null, [ANNOTATIONS.createSucceeded]: null });
    expect(ops(h.calls)).toContain('create');
  });

  it("the words are the kind's: its events and Ready name the external object as the kind calls it", async () => {
    const h = harness({
      object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1', [ANNOTATIONS.createSucceeded]: 'x' }, finalizers: [FINALIZER] },
      connect: { observe: async () => ({ vanished: true, differences: [] }) },
    });
    await h.run();
    const messages = h.calls.flatMap((c) => (c.op === 'event' ? [c.message] : []));
    expect(messages).toEqual(['The fake was deleted in Chaman by hand; creating it again.', 'Created the fake acc-new in Chaman.']);
    expect(condition(h.calls, 'Ready')!.message).toBe('Chaman matches the spec.');
  });

  it('up to date: no write to Chaman, one status, no event; a second reconcile with that status writes nothing', async () => {
    const meta = { annotations: { [ANNOTATIONS.externalName]: 'acc-1' }, finalizers: [FINALIZER] };
    const h = harness({ object: meta, connect: { observe: async () => found() } });
    await h.run();
    expect(ops(h.calls)).toEqual(['connect', 'observe', 'status']);
    const again = harness({ object: { ...meta, status: lastStatus(h.calls)! }, connect: { observe: async () => found() } });
    await again.run();
    expect(ops(again.calls)).toEqual(['connect', 'observe']);
  });

  it('an account found in Chaman (adopted, or a recovered create) gets the finalizer before it is converged', async () => {
    const h = harness({ object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1' } }, connect: { observe: async () => found() } });
    await h.run();
    expect(h.calls.filter((c) => c.op === 'metadata')).toEqual([{ op: 'metadata', change: { finalizer: true } }]);
  });

  it('a pending create found in Chaman is recorded, not created again: CreateRecovered', async () => {
    const h = harness({ object: { annotations: { [ANNOTATIONS.createPending]: 'x' }, finalizers: [FINALIZER] }, connect: { observe: async () => found('acc-7') } });
    await h.run();
    expect(ops(h.calls)).not.toContain('create');
    expect(annotationWrites(h.calls)[0]).toMatchObject({ [ANNOTATIONS.externalName]: 'acc-7', [ANNOTATIONS.createPending]: null });
    expect(events(h.calls)).toEqual(['Normal/CreateRecovered']);
  });

  it('differences: update, then Updated; a drift is DriftCorrected', async () => {
    const meta = { annotations: { [ANNOTATIONS.externalName]: 'acc-1' }, finalizers: [FINALIZER] };
    const spec = harness({ object: meta, connect: { observe: async () => ({ ...found(), differences: ['permissions'] }) } });
    await spec.run();
    expect(ops(spec.calls)).toEqual(['connect', 'observe', 'update', 'event', 'status']);
    expect(events(spec.calls)).toEqual(['Normal/Updated']);
    const drift = harness({ object: meta, connect: { observe: async () => ({ ...found(), differences: ['permissions'], drift: true }) } });
    await drift.run();
    expect(events(drift.calls)).toEqual(['Warning/DriftCorrected']);
  });

  it('an edit Chaman forbids, with Recreate allowed: delete before create, the record cleared in between', async () => {
    const h = harness({
      object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1' }, finalizers: [FINALIZER] },
      connect: { observe: async () => ({ ...found(), differences: ['username'] }), update: async () => 'recreate' },
    });
    await h.run();
    expect(ops(h.calls).filter((op) => op !== 'metadata' && op !== 'event')).toEqual(['connect', 'observe', 'update', 'delete', 'create', 'status']);
    expect(events(h.calls)).toEqual(['Normal/Replacing', 'Normal/Created']);
  });

  it('an edit Chaman forbids, without Recreate: RequiresReplacement, Stalled, nothing deleted', async () => {
    const h = harness({
      object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1' }, finalizers: [FINALIZER] },
      connect: { observe: async () => ({ ...found(), differences: ['username'] }), update: async () => Promise.reject(new NeedsUserError('Chaman refused the change (OPERATION_NOT_ALLOWED): no', { reason: 'RequiresReplacement', stalledReason: 'OPERATION_NOT_ALLOWED' })) },
    });
    await h.run();
    expect(ops(h.calls)).not.toContain('delete');
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'False', reason: 'RequiresReplacement' });
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'True' });
  });

  it('cannot tell which external object is this one: Stalled, nothing created', async () => {
    const h = harness({ connect: { observe: async () => ({ ambiguous: 'two candidates', differences: [] }) } });
    await h.run();
    expect(ops(h.calls)).not.toContain('create');
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'True', reason: 'CannotIdentifyAccount' });
  });

  it('Observe: differences are reported as Drifted and DriftDetected; nothing is written to Chaman', async () => {
    const h = harness({
      object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1' } },
      policies: { manage: false, deleteExternal: false, finalizer: false },
      connect: { observe: async () => ({ ...found(), differences: ['permissions'] }) },
    });
    await h.run();
    expect(ops(h.calls)).toEqual(['connect', 'observe', 'event', 'status']);
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'False', reason: 'Drifted' });
    expect(events(h.calls)).toEqual(['Warning/DriftDetected']);
  });

  it('paused: Chaman is not even connected to; Synced=False says ReconcilePaused', async () => {
    const h = harness({ object: { annotations: { [ANNOTATIONS.paused]: 'true' } } });
    await h.run();
    expect(ops(h.calls)).toEqual(['status']);
    expect(condition(h.calls, 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcilePaused' });
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Paused' });
  });

  it('paused after it was Ready: Ready stays True (GitOps health does not wait on a paused object), nothing Stalled or Reconciling', async () => {
    const ready = mergeConditions([], outcomeConditions({ ready: { status: 'True', reason: 'Available', message: 'Chaman matches the spec.' }, synced: { ok: true, reason: 'ReconcileSuccess', message: 'ok' }, progressing: false }), 2, NOW);
    const h = harness({ object: { annotations: { [ANNOTATIONS.paused]: 'true' }, status: { observedGeneration: 2, conditions: ready } } });
    await h.run();
    expect(ops(h.calls)).toEqual(['status']);
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition(h.calls, 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcilePaused' });
    expect(condition(h.calls, 'Reconciling')).toMatchObject({ status: 'False' });
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'False' });
  });

  it('reconcile-requested-at is answered in status.lastHandledReconcileAt, and kept once handled', async () => {
    const h = harness({ object: { annotations: { [ANNOTATIONS.reconcileRequestedAt]: 'pipeline-42' } }, connect: { observe: async () => found() } });
    await h.run();
    expect(lastStatus(h.calls)).toMatchObject({ lastHandledReconcileAt: 'pipeline-42' });
    const huge = harness({ object: { annotations: { [ANNOTATIONS.reconcileRequestedAt]: 'x'.repeat(100_000) } }, connect: { observe: async () => found() } });
    await huge.run();
    expect(lastStatus(huge.calls)?.lastHandledReconcileAt).toHaveLength(256); // a user's annotation, bounded in status
    const none = harness({ connect: { observe: async () => found() } });
    await none.run();
    expect(lastStatus(none.calls)?.lastHandledReconcileAt).toBeUndefined();
  });

  it('a precondition stops the reconcile: its outcome is written and its event sent, Chaman is not observed', async () => {
    const message = 'sender not ready';
    const h = harness({
      connect: { stop: { ready: { status: 'False', reason: 'SenderNotReady', message }, synced: { ok: true, reason: 'ReconcileSuccess', message }, progressing: true }, result: 'success', event: { reason: 'Waiting', message } },
    });
    await h.run();
    expect(ops(h.calls)).toEqual(['connect', 'event', 'status']);
    expect(condition(h.calls, 'Ready')).toMatchObject({ reason: 'SenderNotReady' });
  });

  it('deletion with deletionPolicy Delete: observed, deleted, event, finalizer released, no status', async () => {
    const h = harness({
      object: { deletionTimestamp: NOW.toISOString(), finalizers: [FINALIZER], annotations: { [ANNOTATIONS.externalName]: 'acc-1' } },
      connectForDeletion: { observe: async () => found() },
    });
    expect(await h.run()).toBeUndefined();
    expect(ops(h.calls)).toEqual(['connectForDeletion', 'observe', 'delete', 'event', 'metadata']);
    expect((h.calls.at(-1) as { change: MetadataChange }).change).toEqual({ finalizer: false });
    expect(events(h.calls)).toEqual(['Normal/Deleted']);
  });

  it('deletion with deletionPolicy Orphan: nothing deleted in Chaman, Orphaned, finalizer released', async () => {
    const h = harness({
      object: { deletionTimestamp: NOW.toISOString(), finalizers: [FINALIZER], annotations: { [ANNOTATIONS.externalName]: 'acc-1' } },
      policies: { deleteExternal: false },
      connectForDeletion: { observe: async () => found() },
    });
    await h.run();
    expect(ops(h.calls)).not.toContain('delete');
    expect(events(h.calls)).toEqual(['Normal/Orphaned']);
    expect(ops(h.calls).at(-1)).toBe('metadata');
  });

  it('deletion refused by tenancy (connectForDeletion releases): never deleted in Chaman, a Warning says why', async () => {
    const h = harness({
      object: { deletionTimestamp: NOW.toISOString(), finalizers: [FINALIZER], annotations: { [ANNOTATIONS.externalName]: 'acc-1' } },
      connectForDeletion: { release: 'Nothing was deleted in Chaman: not granted.' },
    });
    await h.run();
    expect(ops(h.calls)).toEqual(['connectForDeletion', 'event', 'metadata']);
    expect(events(h.calls)).toEqual(['Warning/Orphaned']);
  });

  it('a finished reconcile leaves no timer behind: its deadline is freed, not left to fire a minute later in an idle process', async () => {
    // Every timer made meanwhile (Node's own included, which fake timers do not see), less those cleared or fired.
    const pending = new Set<number>();
    const hook = createHook({ init: (id, type) => void (type === 'Timeout' && pending.add(id)), destroy: (id) => void pending.delete(id) }).enable();
    const meta = { annotations: { [ANNOTATIONS.externalName]: 'acc-1' }, finalizers: [FINALIZER] };
    try {
      for (let i = 0; i < 5; i++) await harness({ object: meta, connect: { observe: async () => found() } }).run();
      await new Promise((r) => setImmediate(r)); // a cleared timer is destroyed on the next turn
    } finally {
      hook.disable();
    }
    expect(pending.size).toBe(0);
  });

  it('deletion whose external object cannot be identified: not deleted, finalizer kept, Stalled', async () => {
    const h = harness({
      object: { deletionTimestamp: NOW.toISOString(), finalizers: [FINALIZER] },
      connectForDeletion: { observe: async () => ({ ambiguous: 'two candidates', differences: [] }) },
    });
    await h.run();
    expect(ops(h.calls)).not.toContain('delete');
    expect(h.calls.some((c) => c.op === 'metadata' && c.change.finalizer === false)).toBe(false);
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'True' });
  });

  it("an external object that is not this one's (another type or owner): AdoptionConflict, Stalled, nothing written to Chaman", async () => {
    const foreign: Observation<Resource> = { differences: [], foreign: 'acc-1 is a SOAP account' };
    const h = harness({ object: { annotations: { [ANNOTATIONS.externalName]: 'acc-1' } }, connect: { observe: async () => foreign } });
    expect(await h.run()).toBeUndefined();
    expect(ops(h.calls)).not.toContain('create');
    expect(ops(h.calls)).not.toContain('update');
    expect(ops(h.calls)).not.toContain('delete');
    expect(condition(h.calls, 'Ready')).toMatchObject({ status: 'False', reason: 'AdoptionConflict' });
    expect(condition(h.calls, 'Stalled')).toMatchObject({ status: 'True', reason: 'AdoptionConflict' });
  });

  it("deletion of an object whose external name is another's account: never deleted, Orphaned says why, finalizer released", async () => {
    const foreign: Observation<Resource> = { differences: [], foreign: 'acc-1 is a SOAP account' };
    const h = harness({ object: { deletionTimestamp: NOW.toISOString(), finalizers: [FINALIZER], annotations: { [ANNOTATIONS.externalName]: 'acc-1' } }, connectForDeletion: { observe: async () => foreign } });
    await h.run();
    expect(ops(h.calls)).not.toContain('delete');
    expect(events(h.calls)).toEqual(['Warning/Orphaned']);
    expect(h.calls.filter((c) => c.op === 'metadata').at(-1)).toMatchObject({ change: { finalizer: false } });
  });

  it('an object being deleted without the finalizer: nothing to do', async () => {
    const h = harness({ object: { deletionTimestamp: NOW.toISOString(), finalizers: [] } });
    expect(await h.run()).toBeUndefined();
    expect(h.calls).toEqual([]);
  });

  it('stopping (shutdown or lost leadership): a failure then writes nothing and keeps the guard', async () => {
    const h = harness({ stopped: true, connect: { observe: async () => absent(), create: async () => Promise.reject(new InvalidError('bad', [])) } });
    expect(await h.run()).toBeUndefined();
    expect(annotationWrites(h.calls)).toHaveLength(1); // the guard only: not cleared
    expect(ops(h.calls)).not.toContain('status');
  });

  it('the finalizer is removed when the policy no longer wants it (Orphan), before anything else', async () => {
    const h = harness({ object: { finalizers: [FINALIZER], annotations: { [ANNOTATIONS.externalName]: 'acc-1' } }, policies: { finalizer: false, deleteExternal: false }, connect: { observe: async () => found() } });
    await h.run();
    expect(h.calls[0]).toEqual({ op: 'metadata', change: { finalizer: false } });
  });
});
