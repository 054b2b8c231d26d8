// Text output, after Terraform's: one block per object that changes, its symbol, its reason and its
// fields; the last line counts the actions.
import type { Plan, PlanAction, PlanChange, PlanField } from './types.ts';

export const SYMBOLS: Record<PlanAction, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  adopt: '<=',
  orphan: '-~',
  blocked: '!',
  'no-op': '=',
};

const FIELD_SYMBOLS: Record<PlanField['change'], string> = { added: '+', removed: '-', changed: '~', set: '+' };

/** One field change in words, without any secret value (the model holds none). */
export function describeField(f: PlanField): string {
  if (f.certificate) {
    const c = f.certificate;
    return `certificate "${c.name}" (${c.fileName}): SHA-256 ${c.sha256Fingerprint}, subject ${c.subject}, serial ${c.serialNumber}, notAfter ${c.notAfter}`;
  }
  if (f.field === 'password' || f.field === 'sshPublicKey') return `${f.field}: (${f.change})`;
  const labels = f.labels ? ` (fr: ${f.labels.fr}; nl: ${f.labels.nl}; en: ${f.labels.en})` : '';
  if (f.change === 'changed') return `${f.field}: "${f.before}" → "${f.after}"`;
  return `${f.field}: ${f.change === 'removed' ? f.before : f.after}${labels}`;
}

export const fieldSymbol = (f: PlanField): string => FIELD_SYMBOLS[f.change];

export const title = (c: PlanChange): string =>
  `${c.kind} ${c.namespace}/${c.name}${c.senderNumber ? ` (sender ${c.senderNumber}${c.externalName ? `, account ${c.externalName}` : ''})` : ''}`;

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.orphan} to orphan, ${s.blocked} blocked.`;
}

export function renderText(plan: Plan): string {
  const lines: string[] = [];
  for (const change of plan.changes.filter((c) => c.action !== 'no-op')) {
    lines.push(`${SYMBOLS[change.action]} ${change.action} ${title(change)}`, `    ${change.reason}`);
    for (const field of change.fields) lines.push(`    ${fieldSymbol(field)} ${describeField(field)}`);
    lines.push('');
  }
  const unchanged = plan.changes.filter((c) => c.action === 'no-op').length;
  if (lines.length === 0) lines.push('No changes. Chaman matches the input.', '');
  if (unchanged) lines.push(`${unchanged} object(s) unchanged.`);
  for (const note of plan.notes) lines.push(`Note: ${note}`);
  if (plan.summary.adopt) lines.push(`${plan.summary.adopt} to adopt.`);
  lines.push(summaryLine(plan));
  return `${lines.join('\n')}\n`;
}
