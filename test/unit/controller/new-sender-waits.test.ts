import { describe, expect, it } from 'vitest';
import { NewSenderWaits } from '../../../src/controller/new-sender-waits.ts';

const newAccount = { metadata: {} };
const busy = { ready: false, busy: true };
const S = 'ChamanSender:ns/apk';

describe('NewSenderWaits', () => {
  it("a new account of a sender not Ready and being reconciled waits, and the sender's next change releases it once", () => {
    const waits = new NewSenderWaits();
    expect(waits.wait('ChannelAccount:ns/a', newAccount, S, busy)).toBe(true);
    expect(waits.wait('ChannelAccount:ns/b', newAccount, S, busy)).toBe(true);
    expect(waits.release('ChamanSender:ns/other')).toEqual([]);
    expect(waits.release(S).sort()).toEqual(['ChannelAccount:ns/a', 'ChannelAccount:ns/b']);
    expect(waits.release(S)).toEqual([]);
    expect(waits.size).toBe(0);
  });

  it('never waits when waiting would hide something or lead nowhere', () => {
    const waits = new NewSenderWaits();
    expect(waits.wait('a', { status: { conditions: [] }, metadata: {} }, S, busy)).toBe(false); // has a status already
    expect(waits.wait('a', { metadata: { deletionTimestamp: '2026-12-07T00:00:00Z' } }, S, busy)).toBe(false); // being deleted
    expect(waits.wait('a', newAccount, S, undefined)).toBe(false); // no sender: SenderNotReady says so
    expect(waits.wait('a', newAccount, S, { ready: true, busy: true })).toBe(false); // the sender is Ready
    expect(waits.wait('a', newAccount, S, { ready: false, busy: false })).toBe(false); // nobody is reconciling the sender
    expect(waits.size).toBe(0);
  });
});
