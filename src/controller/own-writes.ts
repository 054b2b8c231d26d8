// Tells the echo of the operator's own metadata writes (the create guard, the record of the account
// id, the finalizer) from a change by someone else, so an echo does not wake a reconcile that would
// only look again. A reconcile can write twice before the first echo arrives, and an echo can arrive
// before the answer to its write: updates that come while a write is in flight wait for its answer.

/** More own writes than this to one object between two echoes is not expected; the oldest are dropped. */
const MAX_PENDING = 4;

interface InFlight {
  writes: number;
  held: { resourceVersion: string | undefined; then: () => void }[];
}

export class OwnWrites {
  /** Per object uid, the resourceVersions written and not yet seen again. */
  private readonly pending = new Map<string, string[]>();
  private readonly inFlight = new Map<string, InFlight>();

  /** A write to the object is about to be sent. */
  begin(uid: string): void {
    const flight = this.inFlight.get(uid) ?? { writes: 0, held: [] };
    flight.writes++;
    this.inFlight.set(uid, flight);
  }

  /** Its answer came: the version written, or undefined when it failed. Updates held meanwhile are decided now. */
  end(uid: string, resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined) this.record(uid, resourceVersion);
    const flight = this.inFlight.get(uid);
    if (!flight || --flight.writes > 0) return;
    this.inFlight.delete(uid);
    for (const { resourceVersion: seen, then } of flight.held) this.unlessEcho(uid, seen, then);
  }

  /** Calls `then` unless this version of the object is the echo of an own write; later if a write is in flight. */
  unlessEcho(uid: string, resourceVersion: string | undefined, then: () => void): void {
    const flight = this.inFlight.get(uid);
    if (flight) flight.held.push({ resourceVersion, then });
    else if (!this.isEcho(uid, resourceVersion)) then();
  }

  forget(uid: string): void {
    this.pending.delete(uid);
  }

  /** Objects with writes not yet seen again (a gauge for tests: it must not grow without bound). */
  get size(): number {
    return this.pending.size;
  }

  private record(uid: string, resourceVersion: string): void {
    const versions = this.pending.get(uid) ?? [];
    versions.push(resourceVersion);
    if (versions.length > MAX_PENDING) versions.shift();
    this.pending.set(uid, versions);
  }

  private isEcho(uid: string, resourceVersion: string | undefined): boolean {
    const versions = this.pending.get(uid);
    const at = resourceVersion === undefined || !versions ? -1 : versions.indexOf(resourceVersion);
    if (at < 0) return false;
    versions!.splice(0, at + 1); // the watch delivers in order: an earlier one will not come back
    if (versions!.length === 0) this.pending.delete(uid);
    return true;
  }
}
