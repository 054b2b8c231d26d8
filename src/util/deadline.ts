// A deadline for one piece of work, as a signal: it aborts after `ms` with a TimeoutError (the reason
// AbortSignal.timeout gives) or as soon as `parent` aborts. Unlike AbortSignal.any([AbortSignal.timeout(ms),
// parent]), `dispose()` frees it the moment the work ends: no timer left to fire a minute later in an
// idle process, no listener left on the long-lived parent for the garbage collector to clear.
export interface Deadline {
  signal: AbortSignal;
  dispose(): void;
}

export function deadline(ms: number, parent: AbortSignal): Deadline {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, dispose: () => {} };
  }
  const onParentAbort = () => {
    clearTimeout(timer);
    controller.abort(parent.reason);
  };
  const timer = setTimeout(() => {
    parent.removeEventListener('abort', onParentAbort);
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
