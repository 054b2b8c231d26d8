import { describe, expect, it } from 'vitest';
import { buildStatusView } from '../../../src/status/build.ts';
import { summarizeSecret } from '../../../src/status/read.ts';
import { renderText, renderTree, when } from '../../../src/status/render-text.ts';
import { condition, event, NOW, readyRestAccount, readySender, snapshot } from './fixtures.ts';

const text = (s = snapshot()) => renderText(buildStatusView(s, { eventLimit: 5 }), NOW);

describe('renderText', () => {
  it('draws sender -> account -> certificate -> Secret, with generations, last read, expiry, conditions and the verdict', () => {
    expect(text()).toBe(
      [
        'ChamanSender payroll/apk (sender 300010): Ready',
        '│  generation 1, observedGeneration 1',
        '│  Chaman last read: 2026-12-07T11:58:00Z (2m ago)',
        '│  next certificate expiry (its accounts): 2027-01-06T12:00:00Z (in 30d)',
        '│  conditions:',
        '│    Ready=True Available (generation 1, since 2026-12-07T11:00:00Z): Chaman matches the spec.',
        '│    Synced=True ReconcileSuccess (generation 1, since 2026-12-07T11:00:00Z): Chaman was read and matches the spec.',
        '│  events: none recent',
        '└─ ChannelAccount payroll/dimona REST: Ready',
        '   │  generation 1, observedGeneration 1',
        '   │  Chaman last read: 2026-12-07T11:59:00Z (1m ago)',
        '   │  Chaman id acc-1, client ID self_service_chaman_300010_abcdefghij',
        '   │  next certificate expiry: 2027-01-06T12:00:00Z (in 30d)',
        '   │  conditions:',
        '   │    Ready=True Available (generation 1, since 2026-12-07T11:00:00Z): Chaman matches the spec.',
        '   │    Synced=True ReconcileSuccess (generation 1, since 2026-12-07T11:00:00Z): ok',
        '   │  events: none recent',
        '   └─ certificate c1',
        '      │  held by Chaman: serial 1954966050899170291, file c1.cer, expires 2027-01-06T12:00:00Z (in 30d)',
        '      │  subject CN=dimona, O=APK; issuer Test CA',
        '      │  SHA-256 AB:CD',
        '      └─ Secret dimona-cert key tls.crt (certificate): present; keys tls.crt, tls.key; resourceVersion 42',
        '',
        'Ready: all 2 object(s) shown are Ready.',
        '',
      ].join('\n'),
    );
  });

  it('prints every condition message in full, multi-line included, and marks stale conditions and problems', () => {
    const long = `spec.certificates[0]: R6 ${'x'.repeat(500)}\nsecond line`;
    const bad = readyRestAccount('bad', { conditions: [condition('Ready', 'False', 'Invalid', long), condition('Synced', 'True', 'ReconcileSuccess', 'old', 0)] });
    const out = text(snapshot({ accounts: [bad] }));
    expect(out).toContain(`Ready=False Invalid (generation 1, since 2026-12-07T11:00:00Z): spec.certificates[0]: R6 ${'x'.repeat(500)}\n`);
    expect(out).toContain('│      second line');
    expect(out).toContain('Synced=True ReconcileSuccess (generation 0, STALE, since');
    expect(out).toContain('! Ready=False, reason Invalid');
    expect(out).toContain('ChannelAccount payroll/bad REST: NOT READY');
    expect(out.trimEnd().split('\n').at(-1)).toBe('Not ready: 1 of 2 object(s): ChannelAccount bad.');
  });

  it('events newest first with their count; a missing Secret and a missing sender are spelled out', () => {
    const events = [event('uid-dimona', 'Created', '2026-12-07T10:00:00Z'), { ...event('uid-dimona', 'DriftCorrected', '2026-12-07T11:30:00Z'), count: 4 }];
    const out = text(snapshot({ senders: [], events, secrets: new Map() }));
    expect(out).toContain('ChamanSender payroll/apk: NOT FOUND');
    expect(out).toContain('└─ Secret dimona-cert key tls.crt (certificate): NOT FOUND');
    const created = out.indexOf('Normal Created: Created happened');
    const drift = out.indexOf('2026-12-07T11:30:00Z (30m ago) Normal DriftCorrected (x4): DriftCorrected happened');
    expect(drift).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(drift);
  });

  it('warnings are marked ~ and counted in the last line', () => {
    const account = readyRestAccount('dimona', { conditions: [condition('Ready', 'True', 'Available', 'ok'), condition('CertExpiring', 'True', 'CertificateExpiring', 'c1 expires on 2027-01-06')] });
    const out = text(snapshot({ accounts: [account] }));
    expect(out).toContain('   │  ~ CertExpiring=True, reason CertificateExpiring\n');
    expect(out.trimEnd().split('\n').at(-1)).toBe('Ready: all 2 object(s) shown are Ready. 1 with warnings (~): ChannelAccount dimona.');
  });

  it('a Secret the user may not read says so', () => {
    const out = text(snapshot({ secrets: new Map([['dimona-cert', { name: 'dimona-cert', keys: [], forbidden: true }]]) }));
    expect(out).toContain('└─ Secret dimona-cert key tls.crt (certificate): not readable with your credentials (get on secrets is forbidden; the view role has none)');
  });

  it('shows paused and the forced-reconcile pair when present', () => {
    const s = readySender('apk', { lastHandledReconcileAt: '2026-12-07T11:00:00Z' });
    s.metadata.annotations = { 'chaman.io/paused': 'true', 'chaman.io/reconcile-requested-at': '2026-12-07T11:00:00Z' };
    const out = text(snapshot({ senders: [s] }));
    expect(out).toContain('paused (chaman.io/paused: "true")');
    expect(out).toContain('reconcile requested at: 2026-12-07T11:00:00Z; last handled: 2026-12-07T11:00:00Z');
  });

  it('says so when nothing was found', () => {
    expect(text(snapshot({ senders: [], accounts: [] }))).toBe('no ChamanSender or ChannelAccount in namespace payroll.\nNot ready: nothing to show.\n');
  });
});

describe('renderTree', () => {
  it('hangs details under a bar only while children follow', () => {
    const leaf = (l: string) => ({ lines: [l], children: [] });
    const out = renderTree({ lines: ['root', 'detail'], children: [{ lines: ['a', 'a detail'], children: [leaf('a1')] }, leaf('b')] }, '', '');
    expect(out).toEqual(['root', '│  detail', '├─ a', '│  │  a detail', '│  └─ a1', '└─ b']);
  });
});

describe('when', () => {
  it('gives the instant and its distance from now', () => {
    expect(when('2026-12-07T11:59:30Z', NOW)).toBe('2026-12-07T11:59:30Z (30s ago)');
    expect(when('2026-12-08T15:00:00Z', NOW)).toBe('2026-12-08T15:00:00Z (in 27h)');
    expect(when('2027-03-07T12:00:00Z', NOW)).toBe('2027-03-07T12:00:00Z (in 90d)');
    expect(when('not a date', NOW)).toBe('not a date');
  });
});

describe('summarizeSecret', () => {
  it('keeps the key names and resourceVersion, never a value', () => {
    const summary = summarizeSecret({
      metadata: { name: 'ftp-pass', resourceVersion: '9', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'hunter2!!' } },
      data: { password: Buffer.from('hunter2!!').toString('base64') },
      stringData: { extra: 'hunter2!!' },
    });
    expect(summary).toEqual({ name: 'ftp-pass', keys: ['extra', 'password'], resourceVersion: '9' });
    expect(JSON.stringify(summary)).not.toMatch(/hunter2|aHVudGVy/);
  });
});
