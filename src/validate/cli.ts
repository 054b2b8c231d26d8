// `chaman-operator validate -f PATH [-f PATH]... [--output text|json]`
// Exit 0: valid; 1: at least one finding of severity error; 2: usage or I/O error.
import { parseArgs } from 'node:util';
import { PERMISSION_CATALOG } from '../domain/index.ts';
import { DEFAULT_SHA1_CUTOFF } from '../domain/types.ts';
import { listManifestFiles, loadManifests } from './load.ts';
import { toJson, toText } from './report.ts';
import { validateDocuments, type ValidationFinding } from './validate.ts';

const USAGE = `Usage: chaman-operator validate -f PATH [-f PATH]... [--output text|json]

Validates ChamanSender and ChannelAccount manifests offline (files or folders, multi-document YAML):
the CRD schema and its CEL rules, the rules R1–R17, and the Secrets the same input contains.

Options:
  -f, --filename PATH   a file or folder (repeatable)
  -o, --output FORMAT   text (default) or json
      --sha1-cutoff T   when SHA-1 stops being accepted for FTP, SFTP and SOAP (default ${DEFAULT_SHA1_CUTOFF.toISOString()})
      --now T           evaluate certificate validity at this instant (default: now)

Exit status: 0 valid, 1 errors found, 2 usage or I/O error.`;

export async function runValidateCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o', default: 'text' },
        'sha1-cutoff': { type: 'string' },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const paths = values.filename ?? [];
  const output = values.output;
  if (paths.length === 0 || (output !== 'text' && output !== 'json')) {
    console.error(paths.length === 0 ? `validate needs at least one -f PATH.\n\n${USAGE}` : `--output must be text or json.\n\n${USAGE}`);
    return 2;
  }
  const now = parseInstant(values.now, new Date(), '--now');
  const sha1Cutoff = parseInstant(values['sha1-cutoff'], DEFAULT_SHA1_CUTOFF, '--sha1-cutoff');
  if (!now || !sha1Cutoff) return 2;

  let loaded;
  let fileCount;
  try {
    fileCount = listManifestFiles(paths).length;
    loaded = loadManifests(paths);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(`cannot read ${e.path ?? paths.join(', ')}: ${e.code ?? e.message}`);
    return 2;
  }
  const syntax: ValidationFinding[] = loaded.problems.map((p) => ({
    file: p.file,
    document: p.document ?? 0,
    line: p.line,
    kind: '',
    namespace: '',
    name: '',
    field: '',
    rule: 'SCHEMA',
    severity: 'error',
    message: `${p.message}. Fix the YAML so the document can be read.`,
  }));
  const findings = [...syntax, ...(await validateDocuments(loaded.documents, { catalog: PERMISSION_CATALOG, policy: { now, sha1Cutoff } }))];
  process.stdout.write(output === 'json' ? toJson(findings) : toText(findings, fileCount, loaded.documents.length));
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

function parseInstant(value: string | undefined, fallback: Date, flag: string): Date | undefined {
  if (value === undefined) return fallback;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    console.error(`${flag} must be an RFC 3339 date, e.g. 2026-01-01T00:00:00Z.`);
    return undefined;
  }
  return date;
}
