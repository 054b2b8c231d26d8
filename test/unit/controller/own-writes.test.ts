import { describe, expect, it } from 'vitest';
import { OwnWrites } from '../../../src/controller/own-writes.ts';

/** Which of these versions of object `u` would wake a reconcile. */
function woken(own: OwnWrites, versions: (string | undefined)[]): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const v of versions) own.unlessEcho('u', v, () => out.push(v));
  return out;
}

function write(own: OwnWrites, uid: string, resourceVersion: string | undefined): void {
  own.begin(uid);
  own.end(uid, resourceVersion);
}

describe('OwnWrites', () => {
  it('recognises the echo of each of two writes made before the first echo arrived', () => {
    const own = new OwnWrites();
    write(own, 'u', '11'); // the create guard
    write(own, 'u', '12'); // the record of the account id
    expect(woken(own, ['11', '12'])).toEqual([]);
    expect(own.size).toBe(0);
  });

  it('an echo that arrives before the answer to its write waits for it, and is then recognised', () => {
    const own = new OwnWrites();
    own.begin('u');
    const out: string[] = [];
    own.unlessEcho('u', '11', () => out.push('11'));
    expect(out).toEqual([]); // held
    own.end('u', '11');
    expect(out).toEqual([]);
  });

  it('a change by someone else that arrives while a write is in flight wakes once the write is answered', () => {
    const own = new OwnWrites();
    own.begin('u');
    const out: string[] = [];
    own.unlessEcho('u', '10', () => out.push('10'));
    own.end('u', '11');
    expect(out).toEqual(['10']);
  });

  it('a failed write recognises nothing: what was held wakes', () => {
    const own = new OwnWrites();
    own.begin('u');
    own.begin('u');
    const out: string[] = [];
    own.unlessEcho('u', '10', () => out.push('10'));
    own.end('u', undefined);
    expect(out).toEqual([]); // the second write is still in flight
    own.end('u', undefined);
    expect(out).toEqual(['10']);
  });

  it('does not take another writer\'s version for an echo, nor an echo twice, nor another object\'s', () => {
    const own = new OwnWrites();
    write(own, 'u', '11');
    expect(woken(own, ['10', undefined, '11', '11'])).toEqual(['10', undefined, '11']);
    write(own, 'v', '20');
    expect(woken(own, ['20'])).toEqual(['20']);
  });

  it('an echo settles the writes before it (the watch delivers in order), and forget drops the object', () => {
    const own = new OwnWrites();
    write(own, 'u', '11');
    write(own, 'u', '12');
    expect(woken(own, ['12', '11'])).toEqual(['11']); // 11 was skipped over (a relist, say)
    write(own, 'u', '13');
    own.forget('u');
    expect(woken(own, ['13'])).toEqual(['13']);
  });

  it('keeps only the last few writes of one object', () => {
    const own = new OwnWrites();
    for (let v = 1; v <= 6; v++) write(own, 'u', String(v));
    expect(woken(own, ['1', '3'])).toEqual(['1']);
  });
});
