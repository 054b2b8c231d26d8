// The part of the view every object shares: conditions, generations, sync times, events, and the
// reasons it is not Ready. Pure.
import { ANNOTATIONS } from '../domain/annotations.ts';
import type { ObjectMeta } from '../api/meta.ts';
import type { CoreEvent } from './snapshot.ts';
import type { ConditionView, EventView, ObjectStateView } from './view.ts';

interface RawCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** The status fields `status` reads, common to both kinds (lastHandledReconcileAt: when the operator writes it). */
export interface RawStatus {
  observedGeneration?: number;
  lastSyncTime?: string;
  lastHandledReconcileAt?: string;
  conditions?: RawCondition[];
}

export interface RawObject {
  metadata: ObjectMeta;
  status?: RawStatus;
}

export function objectState(kind: string, object: RawObject, events: CoreEvent[], eventLimit: number): ObjectStateView {
  const meta = object.metadata;
  const status = object.status ?? {};
  const generation = meta.generation;
  const conditions = (status.conditions ?? []).map((c) => conditionView(c, generation));
  const view: ObjectStateView = {
    name: meta.name,
    namespace: meta.namespace ?? '',
    found: true,
    ready: false,
    problems: [],
    warnings: [],
    ...(generation !== undefined ? { generation } : {}),
    ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    ...(status.lastSyncTime ? { lastSyncTime: status.lastSyncTime } : {}),
    ...(meta.annotations?.[ANNOTATIONS.reconcileRequestedAt] ? { reconcileRequestedAt: meta.annotations[ANNOTATIONS.reconcileRequestedAt] } : {}),
    ...(status.lastHandledReconcileAt ? { lastHandledReconcileAt: status.lastHandledReconcileAt } : {}),
    paused: meta.annotations?.[ANNOTATIONS.paused] === 'true',
    deleting: !!meta.deletionTimestamp,
    conditions,
    events: eventsOf(kind, meta, events, eventLimit),
  };
  view.problems = readinessProblems(view, meta);
  view.warnings = warningsOf(view.conditions);
  view.ready = view.problems.length === 0;
  return view;
}

/** A placeholder for an object that does not exist (a named one, or the sender accounts point to). */
export function missingObject(name: string, namespace: string, problem: string): ObjectStateView {
  return { name, namespace, found: false, ready: false, problems: [problem], warnings: [], paused: false, deleting: false, conditions: [], events: [] };
}

/** Adds problems found below the object (a missing Secret), which make it not Ready either. */
export function addProblems(view: ObjectStateView, problems: string[]): void {
  view.problems.push(...problems);
  view.ready = view.problems.length === 0;
}

function conditionView(c: RawCondition, generation: number | undefined): ConditionView {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason ?? '',
    message: c.message ?? '',
    ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
    ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
    current: c.observedGeneration === undefined || generation === undefined || c.observedGeneration === generation,
  };
}

function readinessProblems(view: ObjectStateView, meta: ObjectMeta): string[] {
  const problems: string[] = [];
  if (view.deleting) problems.push(`being deleted since ${meta.deletionTimestamp} (finalizers: ${(meta.finalizers ?? []).join(', ') || 'none'})`);
  const ready = view.conditions.find((c) => c.type === 'Ready');
  if (!ready) {
    problems.push('no Ready condition yet: the operator has not reconciled it (is it running, and watching this namespace?)');
    return problems;
  }
  if (ready.status !== 'True') problems.push(`Ready=${ready.status}, reason ${ready.reason || '(none)'}`);
  const observed = ready.observedGeneration ?? view.observedGeneration;
  if (view.generation !== undefined && observed !== undefined && observed !== view.generation) {
    problems.push(`status is for generation ${observed}, the spec is at generation ${view.generation}: the operator has not handled the last change yet`);
  }
  if (view.reconcileRequestedAt && view.lastHandledReconcileAt && view.reconcileRequestedAt !== view.lastHandledReconcileAt) {
    problems.push(`the reconcile requested at ${view.reconcileRequestedAt} is not handled yet (last handled: ${view.lastHandledReconcileAt})`);
  }
  return problems;
}

/** Ready can stay True while a certificate expires or a reconcile fails (it keeps what Chaman last matched). */
function warningsOf(conditions: ConditionView[]): string[] {
  const raised = conditions.filter((c) => ((c.type === 'CertExpiring' || c.type === 'CertExpired') && c.status === 'True') || (c.type === 'Synced' && c.status === 'False'));
  return raised.map((c) => `${c.type}=${c.status}, reason ${c.reason || '(none)'}`);
}

/** The object's Events, newest first, at most `limit`. Matched by uid (by kind and name when an Event has none). */
function eventsOf(kind: string, meta: ObjectMeta, events: CoreEvent[], limit: number): EventView[] {
  const mine = events.filter((e) => {
    const about = e.involvedObject ?? {};
    return about.uid && meta.uid ? about.uid === meta.uid : about.kind === kind && about.name === meta.name;
  });
  return mine
    .map(eventView)
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
    .slice(0, limit);
}

function eventView(e: CoreEvent): EventView {
  const lastSeen = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? undefined;
  return {
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
    ...(lastSeen ? { lastSeen: normalizeTime(lastSeen) } : {}),
    ...(e.reportingComponent ? { reportingController: e.reportingComponent } : {}),
  };
}

/** MicroTime (…:05.123456Z) and Time (…:05Z) sort together once both are written with milliseconds. */
function normalizeTime(t: string): string {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
}
