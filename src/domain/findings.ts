// Small helpers to build findings with a consistent shape.
import type { Finding, InvalidReason, RuleId } from './types.ts';

/** `spec.contact` + `phone.number` → `spec.contact.phone.number`; an empty prefix gives the bare path. */
export function joinField(prefix: string, sub: string): string {
  if (prefix === '') return sub;
  if (sub === '') return prefix;
  return sub.startsWith('[') ? `${prefix}${sub}` : `${prefix}.${sub}`;
}

export function error(rule: RuleId, field: string, message: string, reason?: InvalidReason): Finding {
  return reason ? { rule, field, severity: 'error', message, reason } : { rule, field, severity: 'error', message };
}

export function warning(rule: RuleId, field: string, message: string, reason?: InvalidReason): Finding {
  return reason ? { rule, field, severity: 'warning', message, reason } : { rule, field, severity: 'warning', message };
}

export function hasErrors(findings: Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** Quotes a user-supplied, non-secret value for a message (bounded, control characters escaped). */
export function quote(value: string, max = 60): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}
