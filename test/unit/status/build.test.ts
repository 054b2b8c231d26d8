import { describe, expect, it } from 'vitest';
import { buildStatusView } from '../../../src/status/build.ts';
import { condition, event, readyRestAccount, readySender, secret, snapshot } from './fixtures.ts';

const build = (s = snapshot(), eventLimit = 5) => buildStatusView(s, { eventLimit });

describe('buildStatusView: readiness', () => {
  it('is ready when the sender and every account are Ready for their generation and their Secrets hold the keys', () => {
    const view = build();
    expect(view.ready).toBe(true);
    expect(view.senders).toHaveLength(1);
    expect(view.senders[0]!.accounts[0]).toMatchObject({ name: 'dimona', ready: true, problems: [], externalId: 'acc-1', type: 'REST' });
    expect(view.nextCertificateExpiry).toBe('2027-01-06T12:00:00Z');
    expect(view.senders[0]!.nextCertificateExpiry).toBe('2027-01-06T12:00:00Z');
  });

  it('one account Ready=False makes the whole view not ready, and says why with the reason', () => {
    const bad = readyRestAccount('bad', { conditions: [condition('Ready', 'False', 'Invalid', 'spec.certificates[0]: R6 RSA-1024 is not allowed: use RSA 2048+.')] });
    const view = build(snapshot({ accounts: [readyRestAccount(), bad] }));
    expect(view.ready).toBe(false);
    const shown = view.senders[0]!.accounts.find((a) => a.name === 'bad')!;
    expect(shown.problems).toEqual(['Ready=False, reason Invalid']);
    expect(shown.conditions[0]!.message).toBe('spec.certificates[0]: R6 RSA-1024 is not allowed: use RSA 2048+.');
  });

  it('Ready=True for an older generation is not Ready: the last change is not handled yet', () => {
    const account = readyRestAccount();
    account.metadata.generation = 2;
    const view = build(snapshot({ accounts: [account] }));
    const shown = view.senders[0]!.accounts[0]!;
    expect(shown.ready).toBe(false);
    expect(shown.problems[0]).toMatch(/status is for generation 1, the spec is at generation 2/);
    expect(shown.conditions.every((c) => !c.current)).toBe(true);
  });

  it('no Ready condition yet is not Ready', () => {
    const account = readyRestAccount('new', { conditions: [] });
    const shown = build(snapshot({ accounts: [account] })).senders[0]!.accounts[0]!;
    expect(shown.problems).toEqual([expect.stringMatching(/no Ready condition yet/)]);
  });

  it('a referenced Secret that is missing, or lacks the key, is a problem of the account', () => {
    const missing = build(snapshot({ secrets: new Map() }));
    expect(missing.ready).toBe(false);
    expect(missing.senders[0]!.accounts[0]!.problems).toEqual(['Secret dimona-cert (certificate) not found']);
    const noKey = build(snapshot({ secrets: new Map([['dimona-cert', secret('dimona-cert', ['ca.crt'])]]) }));
    expect(noKey.senders[0]!.accounts[0]!.problems).toEqual(['Secret dimona-cert (certificate) has no key tls.crt (it has: ca.crt)']);
  });

  it('a Secret the user may not read (the view role has no Secrets) is shown as such, not held against readiness', () => {
    const view = build(snapshot({ secrets: new Map([['dimona-cert', { name: 'dimona-cert', keys: [], forbidden: true }]]) }));
    expect(view.senders[0]!.accounts[0]!.certificates[0]!.secret).toEqual({ name: 'dimona-cert', key: 'tls.crt', role: 'certificate', found: false, forbidden: true, keys: [] });
    expect(view.ready).toBe(true);
  });

  it('an expired certificate or a failed last reconcile under Ready=True is a warning, not a problem', () => {
    const account = readyRestAccount('old', {
      conditions: [
        condition('Ready', 'True', 'Available', 'Chaman matches the spec.'),
        condition('Synced', 'False', 'ReconcileError', 'Chaman did not answer; next try in 30s'),
        condition('CertExpiring', 'False', 'CertificatesValid', 'none'),
        condition('CertExpired', 'True', 'CertificateExpired', 'c1 expired on 2026-12-01'),
      ],
    });
    const shown = build(snapshot({ accounts: [account] })).senders[0]!.accounts[0]!;
    expect(shown).toMatchObject({ ready: true, problems: [], warnings: ['Synced=False, reason ReconcileError', 'CertExpired=True, reason CertificateExpired'] });
  });

  it('a sender being deleted is not Ready', () => {
    const s = readySender();
    s.metadata.deletionTimestamp = '2026-12-07T11:30:00Z';
    s.metadata.finalizers = ['chaman.io/finalizer'];
    const view = build(snapshot({ senders: [s] }));
    expect(view.senders[0]!.problems[0]).toBe('being deleted since 2026-12-07T11:30:00Z (finalizers: chaman.io/finalizer)');
    expect(view.ready).toBe(false);
  });

  it('a paused object that kept its Ready stays Ready, and is marked paused', () => {
    const s = readySender();
    s.metadata.annotations = { 'chaman.io/paused': 'true' };
    const view = build(snapshot({ senders: [s] }));
    expect(view.senders[0]).toMatchObject({ paused: true, ready: true });
  });

  it('a forced reconcile not yet answered by status.lastHandledReconcileAt is not Ready; answered, it is', () => {
    const account = readyRestAccount('forced', { lastHandledReconcileAt: 'one' });
    account.metadata.annotations = { 'chaman.io/reconcile-requested-at': 'two' };
    const pending = build(snapshot({ accounts: [account] })).senders[0]!.accounts[0]!;
    expect(pending).toMatchObject({ reconcileRequestedAt: 'two', lastHandledReconcileAt: 'one', ready: false });
    account.metadata.annotations['chaman.io/reconcile-requested-at'] = 'one';
    expect(build(snapshot({ accounts: [account] })).senders[0]!.accounts[0]!.ready).toBe(true);
  });
});

describe('buildStatusView: the tree', () => {
  it('accounts whose sender does not exist hang under a placeholder that says so', () => {
    const view = build(snapshot({ senders: [] }));
    expect(view.senders[0]).toMatchObject({ name: 'apk', found: false, ready: false });
    expect(view.senders[0]!.problems[0]).toMatch(/ChamanSender payroll\/apk not found: create it, or fix spec.senderRef.name/);
    expect(view.senders[0]!.accounts[0]!.name).toBe('dimona');
  });

  it('a named sender that does not exist, with no account, is shown as not found', () => {
    const view = build(snapshot({ senders: [], accounts: [], target: { kind: 'sender', name: 'ghost' } }));
    expect(view.senders).toEqual([expect.objectContaining({ name: 'ghost', found: false })]);
    expect(view.ready).toBe(false);
  });

  it('an empty namespace, or an account not found, is not Ready', () => {
    expect(build(snapshot({ senders: [], accounts: [] }))).toMatchObject({ ready: false, empty: 'no ChamanSender or ChannelAccount in namespace payroll' });
    expect(build(snapshot({ senders: [], accounts: [], target: { kind: 'account', name: 'x' } })).empty).toBe('ChannelAccount payroll/x not found');
  });

  it('certificates: the spec matched with what Chaman holds, and one Chaman still holds that the spec dropped', () => {
    const account = readyRestAccount();
    account.status!.certificates!.push({ ...account.status!.certificates![0]!, name: 'old', serialNumber: '7' });
    const shown = build(snapshot({ accounts: [account] })).senders[0]!.accounts[0]!;
    expect(shown.certificates).toEqual([
      expect.objectContaining({ name: 'c1', inSpec: true, secret: expect.objectContaining({ name: 'dimona-cert', key: 'tls.crt', found: true, resourceVersion: '42' }), held: expect.objectContaining({ serialNumber: '1954966050899170291' }) }),
      expect.objectContaining({ name: 'old', inSpec: false, held: expect.objectContaining({ serialNumber: '7' }) }),
    ]);
  });

  it('the FTP password Secret and the sender credentials Secret are shown by name and keys', () => {
    const ftp = readyRestAccount('ftp');
    ftp.spec = { senderRef: { name: 'apk' }, type: 'FTP', certificates: [{ name: 'c', secretRef: { name: 'ftp-cert' } }], ftp: { username: 'WK23', passwordSecretRef: { name: 'ftp-pass' } } };
    const s = readySender();
    s.spec.credentialsSecretRef = { name: 'chaman-api' };
    const secrets = new Map([['ftp-cert', secret('ftp-cert', ['tls.crt'])], ['ftp-pass', secret('ftp-pass', ['password'], '77')], ['chaman-api', secret('chaman-api', ['token'])]]);
    const view = build(snapshot({ senders: [s], accounts: [ftp], secrets }));
    expect(view.senders[0]!.credentialsSecret).toMatchObject({ name: 'chaman-api', role: 'chaman-credentials', keys: ['token'] });
    expect(view.senders[0]!.accounts[0]!.secrets).toEqual([{ name: 'ftp-pass', key: 'password', role: 'ftp-password', found: true, keys: ['password'], resourceVersion: '77' }]);
  });

  it('events: the object\'s own (by uid), newest first, at most the limit', () => {
    const events = [
      event('uid-dimona', 'Created', '2026-12-07T10:00:00Z'),
      event('uid-dimona', 'CertificateRotated', '2026-12-07T11:00:00Z'),
      { ...event('uid-dimona', 'Updated', '2026-12-07T10:30:00Z'), lastTimestamp: null, series: { count: 3, lastObservedTime: '2026-12-07T11:30:00.123456Z' } },
      event('uid-other', 'Deleted', '2026-12-07T11:45:00Z'),
    ];
    const shown = build(snapshot({ events }), 2).senders[0]!.accounts[0]!;
    expect(shown.events.map((e) => [e.reason, e.count, e.lastSeen])).toEqual([
      ['Updated', 3, '2026-12-07T11:30:00.123Z'],
      ['CertificateRotated', 1, '2026-12-07T11:00:00.000Z'],
    ]);
  });
});
