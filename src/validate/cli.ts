// `chaman-operator validate -f PATH [-f PATH]... [--output text|json]`
// Exit 0: valid; 1: at least one finding of severity error; 2: usage or I/O error.
import { parseArgs } from 'node:util';
import { PERMISSION_CATALOG } from '../domain/index.ts';
import { DEFAULT_SHA1_CUTOFF } from '../domain/types.ts';
import { listManifestFiles, loadManifests, type Decrypter } from './load.ts';
import { toJson, toText } from './report.ts';
import { MAX_DOCUMENT_BYTES, oversizeFindings } from './size-limits.ts';
import { findOnPath, sopsDecrypter } from './sops.ts';
import { validateDocuments, type ValidationFinding } from './validate.ts';

const USAGE = `Usage: chaman-operator validate -f PATH [-f PATH]... [--output text|json] [--decrypt-with sops]

Validates ChamanSender and ChannelAccount manifests offline (files or folders, multi-document YAML):
the CRD schema and its CEL rules, the rules R1–R17, and the Secrets the same input contains
(plain, SOPS-encrypted, SealedSecret or ExternalSecret), and the API server's size limits.

Options:
  -f, --filename PATH   a file or folder (repeatable)
  -o, --output FORMAT   text (default) or json
      --decrypt-with sops
                        decrypt SOPS-encrypted files with the sops binary on PATH (in memory; the
                        plaintext is checked, never printed); without it, encrypted values are
                        reported as not checked (INFO), not as errors
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
        'decrypt-with': { type: 'string' },
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
  const decryptWith = values['decrypt-with'];
  let decrypt;
  if (decryptWith !== undefined) {
    const sops = decryptWith === 'sops' ? findOnPath('sops') : undefined;
    if (!sops) {
      console.error(decryptWith === 'sops' ? '--decrypt-with sops: no sops binary on PATH; install it (https://github.com/getsops/sops) or leave the flag out.' : `--decrypt-with must be sops.\n\n${USAGE}`);
      return 2;
    }
    // A file is decrypted only when none of its documents is over the size limit: a few times that is plenty.
    decrypt = sopsDecrypter(sops, 8 * MAX_DOCUMENT_BYTES);
  }

  let result;
  try {
    result = await validatePaths(paths, { now, sha1Cutoff, decrypt });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(`cannot read ${e.path ?? paths.join(', ')}: ${e.code ?? e.message}`);
    return 2;
  }
  const { findings, fileCount, documentCount } = result;
  process.stdout.write(output === 'json' ? toJson(findings) : toText(findings, fileCount, documentCount));
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/** Everything validate finds under `paths`: unreadable documents, size limits, then the rules. Throws on I/O errors. */
export async function validatePaths(
  paths: string[],
  opts: { now: Date; sha1Cutoff: Date; decrypt?: Decrypter },
): Promise<{ findings: ValidationFinding[]; fileCount: number; documentCount: number }> {
  const fileCount = listManifestFiles(paths).length;
  const loaded = await loadManifests(paths, { decrypt: opts.decrypt });
  const unreadable: ValidationFinding[] = loaded.problems.map((p) => ({
    file: p.file,
    document: p.document ?? 0,
    line: p.line,
    kind: '',
    namespace: '',
    name: '',
    field: '',
    rule: p.decryption ? 'ENCRYPTED' : 'SCHEMA',
    severity: 'error',
    message: p.decryption
      ? `${p.message} Its encrypted values were not checked: give this machine a key of one of the file's recipients (sops.age, sops.pgp, sops.kms…), e.g. SOPS_AGE_KEY_FILE, or leave out --decrypt-with.`
      : `${p.message}. Fix the YAML so the document can be read.`,
  }));
  const policy = { now: opts.now, sha1Cutoff: opts.sha1Cutoff };
  const findings = [...unreadable, ...oversizeFindings(loaded), ...(await validateDocuments(loaded.documents, { catalog: PERMISSION_CATALOG, policy }))];
  return { findings, fileCount, documentCount: loaded.documents.length };
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
