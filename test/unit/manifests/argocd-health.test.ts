// The Argo CD health script (manifests/argocd/health.lua) on sample objects in every state, run by
// real Lua interpreters from Debian (scripts/ci/install-lua.sh installs them): lua5.1, the dialect of
// gopher-lua that Argo CD embeds, and lua5.4.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support.ts';

const SCRIPT = join(REPO_ROOT, 'manifests/argocd/health.lua');
const HARNESS = join(REPO_ROOT, 'test/unit/manifests/argocd-harness.lua');

function findLua(): string[] {
  const found = ['lua5.1', 'lua5.4'].filter((bin) => {
    try {
      execFileSync(bin, ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (found.length === 0) throw new Error('no Lua interpreter: run scripts/ci/install-lua.sh (Debian packages lua5.1 and lua5.4)');
  return found;
}
const LUAS = findLua();

/** A JSON value as a Lua table literal (null becomes nil, as in gopher-lua's decoding). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    // Decimal byte escapes keep any UTF-8 and control character intact in every Lua version.
    return `"${[...Buffer.from(value, 'utf8')].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`)).join('')}"`;
  }
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `[${toLua(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

const work = mkdtempSync(join(tmpdir(), 'chaman-argocd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;

function health(lua: string, object: unknown, script = SCRIPT): { status: string; message: string } {
  const file = join(work, `obj-${counter++}.lua`);
  writeFileSync(file, `return ${toLua(object)}\n`);
  const [status, message] = execFileSync(lua, [HARNESS, file, script], { encoding: 'utf8' }).split('\n');
  return { status: status!, message: message! };
}

type Condition = { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string; observedGeneration?: number };

function account(conditions: Condition[] | undefined, options: { generation?: number; observedGeneration?: number; annotations?: Record<string, string>; deleting?: boolean; kind?: string } = {}) {
  const generation = options.generation ?? 3;
  return {
    apiVersion: 'chaman.io/v1alpha1',
    kind: options.kind ?? 'ChannelAccount',
    metadata: {
      name: 'dimona-rest',
      namespace: 'payroll',
      generation,
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.deleting ? { deletionTimestamp: '2026-11-29T10:00:00Z' } : {}),
    },
    spec: { type: 'REST' },
    ...(conditions === undefined
      ? {}
      : { status: { observedGeneration: options.observedGeneration ?? generation, conditions: conditions.map((c) => ({ observedGeneration: generation, lastTransitionTime: '2026-11-29T09:00:00Z', ...c })) } }),
  };
}

const ready = (status: Condition['status'], reason: string, message = `${reason} message`): Condition => ({ type: 'Ready', status, reason, message });
const cond = (type: string, status: Condition['status'], reason: string, message = `${type} message`): Condition => ({ type, status, reason, message });
const synced = cond('Synced', 'True', 'ReconcileSuccess', '');

const CASES: { name: string; object: unknown; status: string; message: RegExp }[] = [
  { name: 'Ready and current', object: account([ready('True', 'Available', 'In sync with Chaman'), synced, cond('Reconciling', 'False', 'Idle'), cond('Stalled', 'False', 'Idle')]), status: 'Healthy', message: /In sync with Chaman/ },
  { name: 'Ready with a certificate expiring soon', object: account([ready('True', 'Available'), cond('CertExpiring', 'True', 'CertificateExpiring', 'certwk23 expires on 2026-12-10')]), status: 'Healthy', message: /certwk23 expires on 2026-12-10/ },
  { name: 'a ChamanSender that is Ready', object: account([ready('True', 'Available', 'contact in sync')], { kind: 'ChamanSender' }), status: 'Healthy', message: /contact in sync/ },
  { name: 'no status yet', object: account(undefined), status: 'Progressing', message: /Waiting for the operator/ },
  { name: 'status without conditions', object: { ...account([]), status: { observedGeneration: 3 } }, status: 'Progressing', message: /Waiting for the operator/ },
  { name: 'stale status.observedGeneration', object: account([ready('True', 'Available')], { generation: 4, observedGeneration: 3 }), status: 'Progressing', message: /generation 4/ },
  { name: 'stale Ready condition', object: { ...account([ready('True', 'Available')], { generation: 4 }), status: { observedGeneration: 4, conditions: [{ ...ready('True', 'Available'), observedGeneration: 3 }] } }, status: 'Progressing', message: /generation 4/ },
  { name: 'stale status hides an old Invalid', object: account([ready('False', 'Invalid'), cond('Invalid', 'True', 'InvalidCertificate')], { generation: 5, observedGeneration: 4 }), status: 'Progressing', message: /generation 5/ },
  { name: 'Reconciling', object: account([ready('True', 'Available'), cond('Reconciling', 'True', 'Updating', 'adding certificate certwk24')]), status: 'Progressing', message: /Updating: adding certificate certwk24/ },
  ...['Creating', 'Updating', 'Deleting', 'SenderNotReady', 'BackendUnavailable'].map((reason) => ({
    name: `Ready=False ${reason}`,
    object: account([ready('False', reason, `because ${reason}`)]),
    status: 'Progressing',
    message: new RegExp(`^${reason}: because ${reason}$`),
  })),
  { name: 'Ready=Unknown', object: account([ready('Unknown', 'Pending', 'first reconcile')]), status: 'Progressing', message: /Pending: first reconcile/ },
  { name: 'being deleted', object: account([ready('False', 'Deleting', 'deleting the account in Chaman')], { deleting: true }), status: 'Progressing', message: /Deleting/ },
  { name: 'Invalid=True', object: account([ready('False', 'Invalid', 'see Invalid'), cond('Invalid', 'True', 'InvalidCertificate', 'spec.certificates[0]: R6 RSA-1024 is not allowed')]), status: 'Degraded', message: /InvalidCertificate: spec.certificates\[0\]: R6/ },
  { name: 'Stalled=True', object: account([ready('False', 'Updating'), cond('Stalled', 'True', 'CreateOutcomeUnknown', 'cannot tell whether Chaman created the account')]), status: 'Degraded', message: /CreateOutcomeUnknown/ },
  { name: 'Ready=False AccessDenied', object: account([ready('False', 'AccessDenied', 'R14: ask your access manager')]), status: 'Degraded', message: /AccessDenied: R14/ },
  { name: 'Ready=False RequiresReplacement', object: account([ready('False', 'RequiresReplacement', 'R12: FTP accounts cannot change')]), status: 'Degraded', message: /RequiresReplacement: R12/ },
  { name: 'Ready=False Drifted (Observe: reported, never corrected)', object: account([ready('False', 'Drifted', 'Observed drift (managementPolicy Observe, nothing is changed): permissions differ.')]), status: 'Degraded', message: /Drifted: Observed drift/ },
  { name: 'Ready=False Stalled', object: account([ready('False', 'Stalled', 'create outcome unknown')]), status: 'Degraded', message: /Stalled: create outcome unknown/ },
  { name: 'CertExpired=True', object: account([ready('True', 'Available'), cond('CertExpired', 'True', 'CertificateExpired', 'certwk23 expired on 2026-11-01')]), status: 'Degraded', message: /certwk23 expired/ },
  { name: 'paused by annotation', object: account([ready('True', 'Available')], { annotations: { 'chaman.io/paused': 'true' } }), status: 'Suspended', message: /Paused/ },
  { name: 'Ready=False Paused', object: account([ready('False', 'Paused'), cond('Synced', 'True', 'ReconcilePaused')]), status: 'Suspended', message: /Paused/ },
  { name: 'paused annotation other than "true"', object: account([ready('True', 'Available')], { annotations: { 'chaman.io/paused': 'false' } }), status: 'Healthy', message: /Available/ },
  { name: 'a message with quotes, backslashes and accents', object: account([ready('False', 'Invalid'), cond('Invalid', 'True', 'InvalidPassword', 'R5: "\\" refusé')]), status: 'Degraded', message: /R5: "\\" refusé/ },
];

describe.each(LUAS)('Argo CD health script under %s', (lua) => {
  for (const c of CASES) {
    it(`${c.name} → ${c.status}`, () => {
      const result = health(lua, c.object);
      expect(result.status).toBe(c.status);
      expect(result.message).toMatch(c.message);
    });
  }
});

describe('argocd-cm snippet', () => {
  const script = readFileSync(SCRIPT, 'utf8');
  const cm = parse(readFileSync(join(REPO_ROOT, 'manifests/argocd/argocd-cm.yaml'), 'utf8')) as { metadata: { name: string }; data: Record<string, string> };

  it('carries health.lua verbatim for both kinds, under the keys Argo CD reads', () => {
    expect(cm.metadata.name).toBe('argocd-cm');
    expect(Object.keys(cm.data).sort()).toEqual(['resource.customizations.health.chaman.io_ChamanSender', 'resource.customizations.health.chaman.io_ChannelAccount']);
    for (const value of Object.values(cm.data)) expect(value).toBe(script);
  });

  it('the covered states are all Argo CD knows', () => {
    expect(new Set(CASES.map((c) => c.status))).toEqual(new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']));
  });
});

describe('toLua', () => {
  it('writes tables Lua reads back', () => {
    expect(toLua({ a: [1, 'x'], b: null, c: true })).toBe('{["a"] = {1, "x"}, ["c"] = true}');
    expect(toLua('é"\n')).toBe('"\\195\\169\\34\\10"');
  });
});
