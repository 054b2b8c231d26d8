// The arguments of `chaman-operator status`, parsed without touching anything (unit-tested).
import { parseArgs } from 'node:util';
import { parseDuration } from '../domain/duration.ts';
import type { StatusTarget, TargetKind } from './snapshot.ts';

export const STATUS_USAGE = `Usage: chaman-operator status sender NAME [-n NS] [options]
       chaman-operator status account NAME [-n NS] [options]
       chaman-operator status KIND/NAME [-n NS] [options]      (e.g. cs/apk, channelaccount/dimona-rest)
       chaman-operator status -n NS --all [options]

Shows, from Kubernetes only (never Chaman), the tree sender -> accounts -> certificates -> Secrets: every
condition with its full message, generation against observedGeneration, when Chaman was last read
(status.lastSyncTime), the next certificate expiry, and the recent Events, newest first. Secrets are
shown by name, the keys they hold and their resourceVersion, never their values.

Options:
  -n, --namespace NS    the namespace (default: the kubeconfig context's, else "default")
      --all             every ChamanSender and ChannelAccount of the namespace
  -o, --output FORMAT   text (default) or json (with --watch: one JSON document per line)
  -w, --watch           print again whenever what is shown changes, until interrupted (Ctrl-C)
      --interval D      how often --watch reads Kubernetes (default 2s)
      --events N        Events shown per object (default 5)
      --kubeconfig FILE kubeconfig (default: $KUBECONFIG, else in-cluster in a Pod, else ~/.kube/config)

Exit status: 0 when everything shown is Ready; 1 when something shown is not Ready or not found;
2 usage or I/O error (including an API server that refuses a read). With --watch: the status of the
last view printed before the interruption (2 if none).`;

export interface StatusArgs {
  /** Namespace undefined: take the kubeconfig context's. */
  target: Omit<StatusTarget, 'namespace'> & { namespace?: string };
  output: 'text' | 'json';
  watch: boolean;
  intervalMs: number;
  eventLimit: number;
  kubeconfig?: string;
}

const KIND_ALIASES: Record<string, TargetKind> = {
  sender: 'sender',
  senders: 'sender',
  chamansender: 'sender',
  chamansenders: 'sender',
  cs: 'sender',
  account: 'account',
  accounts: 'account',
  channelaccount: 'account',
  channelaccounts: 'account',
  ca: 'account',
};

/** `help` when -h was given; throws an Error whose message says what is wrong with the arguments. */
export function parseStatusArgs(argv: string[]): StatusArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      namespace: { type: 'string', short: 'n' },
      all: { type: 'boolean' },
      output: { type: 'string', short: 'o', default: 'text' },
      watch: { type: 'boolean', short: 'w' },
      interval: { type: 'string', default: '2s' },
      events: { type: 'string', default: '5' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return 'help';
  if (values.output !== 'text' && values.output !== 'json') throw new Error('--output must be text or json');
  const eventLimit = Number(values.events);
  if (!Number.isInteger(eventLimit) || eventLimit < 0) throw new Error('--events must be a whole number, 0 or more');
  let intervalMs: number;
  try {
    intervalMs = parseDuration(values.interval!);
  } catch {
    throw new Error(`--interval: "${values.interval}" is not a duration such as 2s or 1m`);
  }
  if (intervalMs < 200) throw new Error('--interval must be at least 200ms');
  return {
    target: { ...parseTarget(positionals, !!values.all), ...(values.namespace ? { namespace: values.namespace } : {}) },
    output: values.output,
    watch: !!values.watch,
    intervalMs,
    eventLimit,
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
  };
}

function parseTarget(positionals: string[], all: boolean): { kind: TargetKind; name?: string } {
  if (all) {
    if (positionals.length) throw new Error(`--all takes no object: drop "${positionals.join(' ')}" or --all`);
    return { kind: 'all' };
  }
  const words = positionals.length === 1 && positionals[0]!.includes('/') ? positionals[0]!.split('/') : positionals;
  if (words.length !== 2 || !words[1]) throw new Error('say what to show: sender NAME, account NAME, KIND/NAME, or -n NS --all');
  const kind = KIND_ALIASES[words[0]!.toLowerCase().replace(/\.chaman\.io$/, '')];
  if (!kind) throw new Error(`unknown kind "${words[0]}": use sender (chamansender, cs) or account (channelaccount, ca)`);
  return { kind, name: words[1] };
}
