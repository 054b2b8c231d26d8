// Entry point: dispatches to the sub-commands of SPEC section 7.
import 'reflect-metadata';

const usage = `Usage: chaman-operator <command> [options]

Commands:
  run        run the controller (reconciles ChamanSender and ChannelAccount against Chaman)
  validate   validate manifests offline: -f PATH [-f PATH]... [--output text|json]
  emulator   run the reference Chaman backend
  demo       local control plane + emulator + operator + examples

Run "chaman-operator <command> --help" for a command's options.`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case undefined:
  case '-h':
  case '--help':
  case 'help':
    console.log(usage);
    break;
  default:
    console.error(`unknown command "${command}"\n\n${usage}`);
    process.exitCode = 2;
}
void rest;
