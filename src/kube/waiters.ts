// Callers parked until something happens (caches synced, the API server answers again), each able
// to leave early through its AbortSignal.
export class Waiters {
  private readonly waiting = new Set<() => void>();

  get size(): number {
    return this.waiting.size;
  }

  /** Resolves at the next releaseAll; rejects with the signal's reason if it aborts first. */
  wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting.delete(done);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(done);
    });
  }

  releaseAll(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const done of waiting) done();
  }
}
