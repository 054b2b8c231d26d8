// One promise chain per key: work for a key runs one at a time, in arrival order; different keys
// run concurrently. The emulator keys its writes by sender so that a request's checks
// (Idempotency-Key, R2, R3) and its commit form one step, however many awaits lie between them.
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier `run` for this key has settled; resolves or rejects as `work` does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // Forget the key once its last piece of work is done, so the map holds only busy senders.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests). */
  get busyKeys(): number {
    return this.#tails.size;
  }
}
