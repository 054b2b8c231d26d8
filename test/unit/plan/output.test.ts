// The outputs of plan: JSON valid against docs/plan.schema.json, Terraform's text, a capped Markdown
// comment with destructive actions first, and the exit codes.
import { describe, expect, it } from 'vitest';
import { exitCode, parsePlanArgs, renderPlan } from '../../../src/plan/cli.ts';
import { renderMarkdown } from '../../../src/plan/render-markdown.ts';
import { summarize, type Plan, type PlanChange } from '../../../src/plan/types.ts';
import { validatePlanJson } from '../../support/plan-schema.ts';

const validate = validatePlanJson;

const certificate = { name: 'c1', fileName: 'c1.cer', sha256Fingerprint: Array(32).fill('AB').join(':'), subject: 'CN=rest', serialNumber: '1954966050899170291', notAfter: '2027-02-16T10:00:00Z' };
const entry = (name: string, action: PlanChange['action'], fields: PlanChange['fields'] = []): PlanChange => ({
  kind: 'ChannelAccount',
  namespace: 'payroll',
  name,
  senderNumber: '300010',
  action,
  reason: `why ${name}`,
  fields,
  requests: action === 'delete' ? [{ method: 'DELETE', operation: 'deleteAccount', path: '/api/v1/senders/300010/accounts/acc-1' }] : [],
});
const planOf = (changes: PlanChange[]): Plan => ({ formatVersion: '1', changes, summary: summarize(changes), observedAt: '2026-12-07T01:00:00.000Z', notes: ['a note'] });

const sample = planOf([
  entry('rest', 'update', [
    { field: 'permissions', change: 'added', after: 'DimonaDeclaration', labels: { fr: 'Effectuer des déclarations Dimona', nl: 'Dimona-aangiften verrichten', en: 'Submit Dimona declarations' } },
    { field: 'certificates', change: 'removed', certificate },
    { field: 'name', change: 'changed', before: 'a', after: 'b' },
  ]),
  entry('ftp', 'replace', [{ field: 'password', change: 'changed' }]),
  entry('gone', 'delete'),
  entry('same', 'no-op'),
  entry('stuck', 'blocked'),
]);

describe('plan output', () => {
  it('json validates against docs/plan.schema.json, and the schema refuses a password value', () => {
    const json = JSON.parse(renderPlan(sample, 'json'));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    json.changes[1].fields[0].after = 'hunter2';
    expect(validate(json)).toBe(false);
    expect(validate({ ...JSON.parse(renderPlan(sample, 'json')), formatVersion: '2' })).toBe(false);
  });

  it('text: Terraform symbols and the last line', () => {
    const text = renderPlan(sample, 'text');
    expect(text).toMatch(/^~ update ChannelAccount payroll\/rest \(sender 300010\)$/m);
    expect(text).toMatch(/^-\/\+ replace ChannelAccount payroll\/ftp/m);
    expect(text).toMatch(/^- delete ChannelAccount payroll\/gone/m);
    expect(text).toMatch(/^! blocked ChannelAccount payroll\/stuck/m);
    expect(text).toContain('+ permissions: DimonaDeclaration (fr: Effectuer des déclarations Dimona; nl: Dimona-aangiften verrichten; en: Submit Dimona declarations)');
    expect(text).toContain('serial 1954966050899170291, notAfter 2027-02-16T10:00:00Z');
    expect(text).toContain('~ password: (changed)');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Plan: 0 to create, 1 to update, 1 to replace, 1 to delete, 0 to orphan, 1 blocked.');
    expect(renderPlan(planOf([entry('same', 'no-op')]), 'text')).toContain('No changes.');
  });

  it('markdown: summary table, destructive first and marked, one <details> each, capped with a note of what was cut', () => {
    const md = renderMarkdown(sample);
    expect(md).toContain('| create | update | replace | delete | orphan | adopt | blocked | unchanged |');
    expect(md).toContain('| 0 | 1 | 1 | 1 | 0 | 0 | 1 | 1 |');
    const order = ['payroll/ftp', 'payroll/gone', 'payroll/rest', 'payroll/stuck'].map((n) => md.indexOf(n));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(md.match(/<details/g)).toHaveLength(4);
    expect(md).toMatch(/⚠️ \*\*destructive\*\* <code>-<\/code> <b>delete<\/b>/);
    const many = planOf(Array.from({ length: 400 }, (_, i) => entry(`account-${i}`, i % 2 ? 'create' : 'delete', [{ field: 'certificates', change: 'added', certificate }])));
    const capped = renderMarkdown(many, 20_000);
    expect(capped.length).toBeLessThanOrEqual(20_000);
    const shown = capped.match(/<details/g)!.length;
    expect(capped).toContain(`✂️ ${400 - shown} object(s) not shown`);
    expect(capped).not.toContain('<b>create</b>'); // the deletions, first, took the room
    expect(capped).toMatch(/not shown \(\d+ delete, 200 create\)/);
  });

  it('exit codes: 0, 2 with --detailed-exitcode, 3 on --fail-on', () => {
    const none = planOf([entry('same', 'no-op')]);
    expect(exitCode(none, { detailed: true, failOn: ['delete'] })).toBe(0);
    expect(exitCode(sample, { detailed: false, failOn: [] })).toBe(0);
    expect(exitCode(sample, { detailed: true, failOn: [] })).toBe(2);
    expect(exitCode(sample, { detailed: true, failOn: ['delete', 'replace'] })).toBe(3);
    expect(exitCode(planOf([entry('rest', 'update')]), { detailed: true, failOn: ['delete', 'replace'] })).toBe(2);
    const args = ['-f', 'x', '--chaman-url', 'http://c', '--chaman-token-file', 't'];
    expect(() => parsePlanArgs([...args, '--fail-on', 'delete,explode'])).toThrow(/--fail-on: unknown action explode/);
    expect(() => parsePlanArgs(['-f', 'x'])).toThrow(/--chaman-url and --chaman-token-file/);
    expect(parsePlanArgs([...args, '--fail-on', 'delete,replace', '--detailed-exitcode'])).toMatchObject({ failOn: ['delete', 'replace'], detailed: true, output: 'text' });
  });
});
