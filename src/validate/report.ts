// Formats validate findings for people (text) and for tools (json).
import type { LoadProblem } from './load.ts';
import type { ValidationFinding } from './validate.ts';

export function toJson(findings: ValidationFinding[]): string {
  const rows = findings.map(({ file, document, kind, namespace, name, field, rule, severity, message }) => ({
    file,
    document,
    kind,
    namespace,
    name,
    field,
    rule,
    severity,
    message,
  }));
  return `${JSON.stringify({ findings: rows }, null, 2)}\n`;
}

export function toText(findings: ValidationFinding[], fileCount: number, documentCount: number): string {
  const lines = findings.map(
    (f) =>
      `${f.file}:${f.line ?? 1} (document ${f.document}) ${f.severity.toUpperCase()} ${f.rule} ` +
      `${f.kind} ${f.namespace}/${f.name || '<no name>'} ${f.field}: ${f.message}`,
  );
  const count = (severity: ValidationFinding['severity']) => findings.filter((f) => f.severity === severity).length;
  const errors = count('error');
  const notChecked = count('info');
  lines.push(
    `${fileCount} file(s), ${documentCount} document(s): ${errors} error(s), ${count('warning')} warning(s)` +
      (notChecked ? `, ${notChecked} check(s) not done (INFO)` : '') +
      (errors === 0 ? ' — valid' : ''),
  );
  return `${lines.join('\n')}\n`;
}

export function problemToText(p: LoadProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}${p.document ? ` (document ${p.document})` : ''}: ${p.message}`;
}
