import { describe, expect, it } from 'vitest';
import { parseStatusArgs } from '../../../src/status/args.ts';
import { buildStatusView } from '../../../src/status/build.ts';
import type { StatusView } from '../../../src/status/view.ts';
import { changeKey, watchStatus } from '../../../src/status/watch.ts';
import { condition, readyRestAccount, snapshot } from './fixtures.ts';

describe('parseStatusArgs', () => {
  it('takes sender NAME, account NAME, KIND/NAME with kubectl names, or --all', () => {
    expect(parseStatusArgs(['sender', 'apk', '-n', 'payroll'])).toMatchObject({ target: { kind: 'sender', name: 'apk', namespace: 'payroll' }, output: 'text', watch: false, intervalMs: 2000, eventLimit: 5 });
    expect(parseStatusArgs(['account', 'dimona'])).toMatchObject({ target: { kind: 'account', name: 'dimona' } });
    expect((parseStatusArgs(['account', 'dimona']) as { target: object }).target).not.toHaveProperty('namespace');
    expect(parseStatusArgs(['cs/apk'])).toMatchObject({ target: { kind: 'sender', name: 'apk' } });
    expect(parseStatusArgs(['channelaccounts.chaman.io/x', '-o', 'json', '-w', '--interval', '500ms', '--events', '0'])).toMatchObject({
      target: { kind: 'account', name: 'x' },
      output: 'json',
      watch: true,
      intervalMs: 500,
      eventLimit: 0,
    });
    expect(parseStatusArgs(['-n', 'payroll', '--all', '--kubeconfig', '/k'])).toMatchObject({ target: { kind: 'all', namespace: 'payroll' }, kubeconfig: '/k' });
    expect(parseStatusArgs(['-h'])).toBe('help');
  });

  it('refuses what it cannot mean, saying what to write instead', () => {
    expect(() => parseStatusArgs([])).toThrow(/sender NAME, account NAME, KIND\/NAME, or -n NS --all/);
    expect(() => parseStatusArgs(['pod/x'])).toThrow(/unknown kind "pod": use sender/);
    expect(() => parseStatusArgs(['--all', 'cs/apk'])).toThrow(/--all takes no object/);
    expect(() => parseStatusArgs(['cs/apk', '-o', 'yaml'])).toThrow(/--output must be text or json/);
    expect(() => parseStatusArgs(['cs/apk', '--interval', 'soon'])).toThrow(/--interval: "soon"/);
    expect(() => parseStatusArgs(['cs/apk', '--events', '-1'])).toThrow(/--events/);
    expect(() => parseStatusArgs(['cs/apk', '--bogus'])).toThrow(/bogus/);
  });
});

describe('watchStatus', () => {
  const view = (ready: boolean, at: string): StatusView => {
    const account = readyRestAccount('a', ready ? {} : { conditions: [condition('Ready', 'False', 'Creating', 'creating')] });
    return { ...buildStatusView(snapshot({ accounts: [account] }), { eventLimit: 5 }), observedAt: at };
  };

  it('prints the first view and then only changes, keeps going after a failed read, and returns the last view', async () => {
    const readings: (StatusView | Error)[] = [view(false, 't1'), view(false, 't2'), new Error('API down'), view(false, 't3'), view(true, 't4'), view(true, 't5')];
    const stop = new AbortController();
    const printed: string[] = [];
    const errors: string[] = [];
    const last = await watchStatus({
      read: async () => {
        const next = readings.shift()!;
        if (readings.length === 0) stop.abort();
        if (next instanceof Error) throw next;
        return next;
      },
      print: (v) => printed.push(v.observedAt),
      printError: (e) => errors.push((e as Error).message),
      intervalMs: 1,
      signal: stop.signal,
      sleep: async () => {},
    });
    // t2 is t1 again (only the time differs); after the error, t3 is printed so the error is not the last word.
    expect(printed).toEqual(['t1', 't3', 't4']);
    expect(errors).toEqual(['API down']);
    expect(last?.ready).toBe(true);
  });

  it('a change key ignores only the time of the reading', () => {
    expect(changeKey(view(true, 'a'))).toBe(changeKey(view(true, 'b')));
    expect(changeKey(view(true, 'a'))).not.toBe(changeKey(view(false, 'a')));
  });
});
