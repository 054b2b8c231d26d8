// Entry point: dispatches to the sub-commands of SPEC section 7. Each command is loaded lazily,
// so `validate` in a CI job does not pay for the Kubernetes client or the HTTP stack.
import 'reflect-metadata';

const usage = `Usage: chaman-operator <command> [options]

Commands:
  run        run the controller (reconciles ChamanSender and ChannelAccount against Chaman)
  validate   validate manifests offline: -f PATH [-f PATH]... [--output text|json]
  plan       what applying manifests would do in Chaman, read-only: -f PATH... --chaman-url URL --chaman-token-file FILE
  status     the tree sender -> accounts -> certificates -> Secrets, from Kubernetes: sender NAME | account NAME | -n NS --all
  emulator   run the reference Chaman backend
  demo       local control plane + emulator + operator + examples

Run "chaman-operator <command> --help" for a command's options.`;

type CommandMain = (argv: string[]) => Promise<number | void>;

const commands: Record<string, () => Promise<CommandMain>> = {
  validate: async () => (await import('./validate/cli.ts')).runValidateCli,
  plan: async () => (await import('./plan/cli.ts')).runPlanCli,
  status: async () => (await import('./status/cli.ts')).runStatusCli,
  emulator: async () => (await import('./emulator/cli.ts')).runEmulatorCli,
  run: async () => {
    // The operator is a long-lived process whose pace is the API server's, not its own CPU: V8's
    // memory-over-speed mode (smaller heap growth, leaner code) took 21 MB off its RSS at 3,000
    // accounts (docs/performance.md). Set before the operator's modules load, so they get it too.
    (await import('node:v8')).setFlagsFromString('--optimize-for-size');
    return (await import('./controller/cli.ts')).runOperatorCli;
  },
  demo: async () => (await import('./demo/cli.ts')).runDemoCli,
};

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
  console.log(usage);
} else if (commands[command]) {
  const main = await commands[command]();
  const code = await main(rest);
  if (typeof code === 'number') process.exitCode = code;
} else {
  console.error(`unknown command "${command}"\n\n${usage}`);
  process.exitCode = 2;
}
