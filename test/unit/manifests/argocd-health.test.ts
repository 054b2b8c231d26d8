// The Argo CD health script (manifests/argocd/health.lua) on sample objects in every state, run the
// way Argo CD runs it: in gopher-lua with Argo CD's libraries (package, base, table; no string
// library, no global os), the object as `obj`, a one-second deadline. The runner is the Go tool
// test/tools/argocd-lua, built and cached like the control plane (npm's pretest builds it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureGoTool } from '../../../scripts/lib/gotool.ts';
import { REPO_ROOT } from './support.ts';

const SCRIPT = join(REPO_ROOT, 'manifests/argocd/health.lua');

let argocdLua = '';
beforeAll(async () => {
  argocdLua = await ensureGoTool('argocd-lua');
}, 300_000);

const work = mkdtempSync(join(tmpdir(), 'chaman-argocd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a health script on an object; throws with the Lua error when the script fails. */
function health(object: unknown, script = SCRIPT): { status: string; message: string } {
  return JSON.parse(execFileSync(argocdLua, [script], { input: JSON.stringify(object), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })) as { status: string; message: string };
}

/** A script of our own, to check that the runner behaves like Argo CD's. */
function luaScript(source: string): string {
  const file = join(work, `script-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(file, source);
  return file;
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
  { name: 'Ready=False Paused (before Ready was kept while paused)', object: account([ready('False', 'Paused'), cond('Synced', 'True', 'ReconcilePaused')]), status: 'Suspended', message: /Paused/ },
  { name: 'paused with its last Ready kept: Synced=False ReconcilePaused', object: account([ready('True', 'Available'), cond('Synced', 'False', 'ReconcilePaused')]), status: 'Suspended', message: /Paused/ },
  { name: 'paused annotation other than "true"', object: account([ready('True', 'Available')], { annotations: { 'chaman.io/paused': 'false' } }), status: 'Healthy', message: /Available/ },
  { name: 'a message with quotes, backslashes and accents', object: account([ready('False', 'Invalid'), cond('Invalid', 'True', 'InvalidPassword', 'R5: "\\" refusé')]), status: 'Degraded', message: /R5: "\\" refusé/ },
];

describe('Argo CD health script under gopher-lua', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.status}`, () => {
      const result = health(c.object);
      expect(result.status).toBe(c.status);
      expect(result.message).toMatch(c.message);
    });
  }
});

describe('the runner behaves like Argo CD', () => {
  it('has no string library and no global os, so a script that uses them fails as it would in Argo CD', () => {
    expect(() => health({}, luaScript('return { status = string.upper("healthy") }'))).toThrow(/non-table object\(nil\) with key 'upper'/);
    expect(() => health({}, luaScript('return { status = os.getenv("HOME") }'))).toThrow(/non-table object\(nil\) with key 'getenv'/);
  });

  it('gives require("os") time and date only', () => {
    expect(health({}, luaScript('local o = require("os")\nreturn { status = type(o.time()), message = tostring(o.execute) }'))).toEqual({ status: 'number', message: 'nil' });
  });

  it('passes JSON null as an absent key and arrays from index 1', () => {
    expect(health({ a: null, b: ['x', 'y'] }, luaScript('return { status = tostring(obj.a), message = obj.b[1] .. #obj.b }'))).toEqual({ status: 'nil', message: 'x2' });
  });

  it('refuses a script that does not return a table, or runs past its deadline', () => {
    expect(() => health({}, luaScript('return "Healthy"'))).toThrow(/expect table output/);
    expect(() => health({}, luaScript('while true do end'))).toThrow(/deadline/);
  });

  it('catches a broken health.lua (a mutated script is caught by the cases)', () => {
    const mutated = luaScript(readFileSync(SCRIPT, 'utf8').replace('hs.status = "Degraded"', 'hs.status = "Healthy"'));
    const invalid = CASES.find((c) => c.name === 'Invalid=True')!;
    expect(health(invalid.object, mutated).status).not.toBe(invalid.status);
  });
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
