// Markdown output, for a pull-request comment: the summary as a table, destructive actions first and
// marked, one collapsible section per object, capped in size (GitHub takes 65,536 characters) with a
// note of what was cut.
import { describeField, fieldSymbol, SYMBOLS, summaryLine, title } from './render-text.ts';
import { DESTRUCTIVE, type Plan, type PlanChange } from './types.ts';

export const MARKDOWN_LIMIT = 60_000;

const escape = (text: string): string => text.replace(/[<>&|]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '|': '\\|' })[c]!);

function section(change: PlanChange): string {
  const destructive = DESTRUCTIVE.has(change.action);
  const mark = destructive ? '⚠️ **destructive** ' : change.action === 'blocked' ? '⛔ ' : '';
  const lines = [`<details${destructive ? ' open' : ''}><summary>${mark}<code>${escape(SYMBOLS[change.action])}</code> <b>${change.action}</b> ${escape(title(change))}</summary>`, '', escape(change.reason), ''];
  for (const field of change.fields) lines.push(`- \`${fieldSymbol(field)}\` ${escape(describeField(field))}`);
  lines.push('', '</details>', '');
  return lines.join('\n');
}

export function renderMarkdown(plan: Plan, limit = MARKDOWN_LIMIT): string {
  const s = plan.summary;
  const head = [
    '### chaman-operator plan',
    '',
    '| create | update | replace | delete | orphan | adopt | blocked | unchanged |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.create} | ${s.update} | ${s.replace} | ${s.delete} | ${s.orphan} | ${s.adopt} | ${s.blocked} | ${s.noop} |`,
    '',
  ];
  const destructive = plan.changes.filter((c) => DESTRUCTIVE.has(c.action));
  if (destructive.length) head.push(`⚠️ **${destructive.length} destructive action(s)**: deleting an account in Chaman is definitive (R13).`, '');
  const ordered = [...destructive, ...plan.changes.filter((c) => !DESTRUCTIVE.has(c.action) && c.action !== 'no-op')];
  if (ordered.length === 0) head.push('No changes. Chaman matches the input.', '');
  const tail = [...plan.notes.map((n) => `> ${escape(n)}`), '', `\`${summaryLine(plan)}\` Chaman read at ${plan.observedAt}.`, ''].join('\n');
  let body = `${head.join('\n')}\n`;
  let shown = 0;
  for (const change of ordered) {
    const next = section(change);
    if (body.length + next.length + tail.length + 200 > limit) break;
    body += next;
    shown++;
  }
  if (shown < ordered.length) {
    const cut = ordered.slice(shown);
    const byAction = [...new Set(cut.map((c) => c.action))].map((a) => `${cut.filter((c) => c.action === a).length} ${a}`).join(', ');
    body += `\n> ✂️ ${cut.length} object(s) not shown (${byAction}): this comment is capped at ${limit} characters. Run \`chaman-operator plan\` for the full plan.\n\n`;
  }
  return body + tail;
}
