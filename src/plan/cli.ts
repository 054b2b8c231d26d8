// `chaman-operator plan -f PATH... --chaman-url URL --chaman-token-file FILE [--kubeconfig FILE]
//  [--output text|json|markdown] [--detailed-exitcode] [--fail-on delete,replace]`
// Read-only. Exit codes as Terraform's: 0 success (no changes with --detailed-exitcode), 1 error,
// 2 changes (--detailed-exitcode), 3 an action named by --fail-on is planned. Errors win.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ChamanHttpClient } from '../chaman/http-client.ts';
import type { Settings } from '../controller/ports.ts';
import { DEFAULT_SHA1_CUTOFF } from '../domain/types.ts';
import { createKubeClient, type KubeClient } from '../kube/client.ts';
import { toText } from '../validate/report.ts';
import { MAX_DOCUMENT_BYTES } from '../validate/size-limits.ts';
import { findOnPath, sopsDecrypter } from '../validate/sops.ts';
import { loadPlanInput } from './input.ts';
import { kubeClusterReader } from './live.ts';
import { makePlan } from './plan.ts';
import { renderMarkdown } from './render-markdown.ts';
import { renderText } from './render-text.ts';
import { hasChanges, PLAN_ACTIONS, type Plan, type PlanAction } from './types.ts';

const USAGE = `Usage: chaman-operator plan -f PATH [-f PATH]... --chaman-url URL --chaman-token-file FILE
                            [--kubeconfig FILE] [--output text|json|markdown] [--detailed-exitcode]
                            [--fail-on delete,replace]

What applying the manifests would do in Chaman, per object, decided by the operator's own reconcile
code run dry: it reads Chaman (and the cluster, with --kubeconfig) and writes nothing; a read-only
token is enough. validate's checks run first: invalid input is refused with its findings.

Options:
  -f, --filename PATH          a file or folder (repeatable), as for validate
      --chaman-url URL         the Chaman backend
      --chaman-token-file FILE a bearer token (read-only is enough)
      --kubeconfig FILE        also read the live objects of the input's namespaces: recorded external
                               names, deletion policies, and deletions (objects the input no longer holds)
  -o, --output FORMAT          text (default), json (docs/plan.schema.json) or markdown (a PR comment)
      --detailed-exitcode      exit 0 when nothing changes, 2 when something does
      --fail-on ACTIONS        exit 3 when one of these actions is planned (e.g. delete,replace)
      --require-sender-grant B as the operator's flag (default true)
      --default-deletion-policy P  as the operator's flag: Delete (default) or Orphan
      --sha1-cutoff T          as the operator's flag (default ${DEFAULT_SHA1_CUTOFF.toISOString()})
      --decrypt-with sops      decrypt SOPS-encrypted files in memory, as validate does; without it (and for
                               SealedSecrets, ExternalSecrets) the Secret is read from the cluster (--kubeconfig)

Exit status: 0 success, 1 error (invalid input, Chaman or the cluster unreadable), 2 changes
(--detailed-exitcode), 3 an action of --fail-on is planned.`;

class UsageError extends Error {}

interface PlanArgs {
  paths: string[];
  url: string;
  tokenFile: string;
  kubeconfig?: string;
  output: 'text' | 'json' | 'markdown';
  detailed: boolean;
  failOn: PlanAction[];
  settings: Settings;
  decryptWith?: 'sops';
}

export function parsePlanArgs(argv: string[]): PlanArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      'chaman-url': { type: 'string' },
      'chaman-token-file': { type: 'string' },
      kubeconfig: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'text' },
      'detailed-exitcode': { type: 'boolean', default: false },
      'fail-on': { type: 'string' },
      'require-sender-grant': { type: 'string', default: 'true' },
      'default-deletion-policy': { type: 'string', default: 'Delete' },
      'sha1-cutoff': { type: 'string' },
      'decrypt-with': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const paths = values.filename ?? [];
  if (paths.length === 0) throw new UsageError('plan needs at least one -f PATH.');
  if (!values['chaman-url'] || !values['chaman-token-file']) throw new UsageError('plan needs --chaman-url and --chaman-token-file.');
  const output = values.output;
  if (output !== 'text' && output !== 'json' && output !== 'markdown') throw new UsageError('--output must be text, json or markdown.');
  const failOn = (values['fail-on'] ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const unknown = failOn.filter((a) => !(PLAN_ACTIONS as readonly string[]).includes(a) || a === 'no-op');
  if (unknown.length) throw new UsageError(`--fail-on: unknown action ${unknown.join(', ')}; use ${PLAN_ACTIONS.filter((a) => a !== 'no-op').join(', ')}.`);
  const policy = values['default-deletion-policy'];
  if (policy !== 'Delete' && policy !== 'Orphan') throw new UsageError('--default-deletion-policy must be Delete or Orphan.');
  const grant = values['require-sender-grant'];
  if (grant !== 'true' && grant !== 'false') throw new UsageError('--require-sender-grant must be true or false.');
  if (values['decrypt-with'] !== undefined && values['decrypt-with'] !== 'sops') throw new UsageError('--decrypt-with must be sops.');
  const sha1Cutoff = values['sha1-cutoff'] ? new Date(values['sha1-cutoff']) : DEFAULT_SHA1_CUTOFF;
  if (Number.isNaN(sha1Cutoff.getTime())) throw new UsageError('--sha1-cutoff must be an RFC 3339 date, e.g. 2026-01-01T00:00:00Z.');
  return {
    paths,
    url: values['chaman-url'],
    tokenFile: values['chaman-token-file'],
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    output,
    detailed: values['detailed-exitcode'],
    failOn: failOn as PlanAction[],
    ...(values['decrypt-with'] ? { decryptWith: 'sops' as const } : {}),
    settings: {
      defaultDeletionPolicy: policy,
      certExpiryWarningMs: 30 * 24 * 3600_000,
      resyncPeriodMs: 3600_000,
      sha1Cutoff,
      reconcileTimeoutMs: 60_000,
      requireSenderGrant: grant === 'true',
    },
  };
}

/** The exit status of a plan that was made. */
export function exitCode(plan: Plan, args: Pick<PlanArgs, 'detailed' | 'failOn'>): number {
  if (plan.changes.some((c) => args.failOn.includes(c.action))) return 3;
  return args.detailed && hasChanges(plan) ? 2 : 0;
}

export function renderPlan(plan: Plan, output: PlanArgs['output']): string {
  if (output === 'json') return `${JSON.stringify(plan, null, 2)}\n`;
  return output === 'markdown' ? renderMarkdown(plan) : renderText(plan);
}

export async function runPlanCli(argv: string[]): Promise<number> {
  let args;
  try {
    args = parsePlanArgs(argv);
  } catch (error) {
    console.error(`chaman-operator plan: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const now = new Date();
  let chaman: ChamanHttpClient | undefined;
  let kube: KubeClient | undefined;
  try {
    const sops = args.decryptWith ? findOnPath('sops') : undefined;
    if (args.decryptWith && !sops) throw new Error('--decrypt-with sops: no sops binary on PATH; install it (https://github.com/getsops/sops) or leave the flag out.');
    const decrypt = sops ? sopsDecrypter(sops, 8 * MAX_DOCUMENT_BYTES) : undefined;
    const loaded = await loadPlanInput(args.paths, { now, sha1Cutoff: args.settings.sha1Cutoff, ...(decrypt ? { decrypt } : {}) });
    if (!loaded.input) {
      process.stderr.write(toText(loaded.findings, args.paths.length, 0));
      console.error('chaman-operator plan: the input is not valid (validate found errors above); no plan was made.');
      return 1;
    }
    const token = readFileSync(args.tokenFile, 'utf8').trim();
    chaman = new ChamanHttpClient({ baseUrl: args.url, auth: { kind: 'token', token } });
    if (args.kubeconfig) kube = await createKubeClient({ kubeconfig: args.kubeconfig, userAgent: 'chaman-operator-plan' });
    const plan = await makePlan({ input: loaded.input, chaman, ...(kube ? { cluster: kubeClusterReader(kube) } : {}), settings: args.settings, now });
    process.stdout.write(renderPlan(plan, args.output));
    return exitCode(plan, args);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(`chaman-operator plan: ${e.code === 'ENOENT' ? `no file ${e.path}` : e.message}`);
    return 1;
  } finally {
    await chaman?.close();
    await kube?.close();
  }
}
