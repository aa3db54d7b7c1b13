/**
 * The `saestream` command router. It picks a command from the table by its leading words,
 * answers `--help`, `-h` and `--version`, and turns whatever a command throws into one line on
 * stderr and an exit status: 2 when the command line is wrong, 1 when the work failed.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CliIo } from './lib/command';
import { extract } from './lib/commands/extract';
import { saeConvert } from './lib/commands/sae-convert';
import { saeInfo } from './lib/commands/sae-info';
import { shardsInspect } from './lib/commands/shards-inspect';
import { train } from './lib/commands/train';
import { view } from './lib/commands/view';
import { interpret } from './lib/commands/interpret';
import { pipeline } from './lib/commands/pipeline';
import { evalCommand } from './lib/commands/eval';
import { CliError, errorLine, exitStatus, EXIT } from './lib/errors';
import { table } from './lib/format';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [pipeline, extract, train, evalCommand, interpret, view, saeInfo, saeConvert, shardsInspect];

const commandNames = () => COMMANDS.map((c) => c.name).join(', ');

/** The version in packages/cli/package.json (one directory above both src/ and dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function topHelp(): string {
  const list = table(COMMANDS.map((c) => [c.name, c.summary])).map((l) => `  ${l}`);
  return `saestream ${version()}: sparse autoencoders on GPT-2's residual stream, as Arrow stream stages

Usage: saestream <command> [arguments] [flags]

Commands:
${list.join('\n')}

Flags:
  -h, --help   print this help; 'saestream <command> --help' prints a command's help
  --version    print the version

Exit status: 0 done (and --help), 1 the work failed (data missing or damaged), 2 usage error
(unknown command or flag, bad or missing argument; also no command at all, which prints this
help to stderr).
`;
}

/** Whether `--help` or `-h` comes before any `--` terminator: it wins over every other flag. */
const wantsHelp = (args: string[]): boolean => {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/** The command whose words lead `argv`, preferring the longest name. */
function findCommand(argv: string[]): Command | undefined {
  const matching = COMMANDS.filter((c) => c.name.split(' ').every((word, i) => argv[i] === word));
  return matching.sort((a, b) => b.name.length - a.name.length)[0];
}

/** How many leading words of `words` a command's name starts with (`shards` in `shards frobnicate`). */
function sharedWords(name: string, words: string[]): number {
  const nameWords = name.split(' ');
  let i = 0;
  while (i < nameWords.length && nameWords[i] === words[i]) i++;
  return i;
}

/**
 * Leading words that select no whole command: `shards` alone names a group, answered with
 * its subcommands (or the help, with --help); anything else is an unknown command.
 */
function incompleteCommand(argv: string[], io: CliIo): number {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
  const depth = Math.max(...COMMANDS.map((c) => sharedWords(c.name, words)));
  if (depth > 0 && words.length === depth) {
    if (wantsHelp(argv)) {
      io.out.write(topHelp());
      return EXIT.ok;
    }
    const group = words.join(' ');
    const under = COMMANDS.filter((c) => c.name.startsWith(group + ' ')).map((c) => c.name);
    throw new CliError('USAGE', `'${group}' needs a subcommand: one of [${under.join(', ')}]`);
  }
  throw new CliError('USAGE', `unknown command '${words.slice(0, depth + 1).join(' ')}'; the commands are [${commandNames()}]`);
}

async function route(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0) {
    io.err.write(topHelp());
    return EXIT.usage;
  }
  const command = findCommand(argv);
  if (command) {
    const args = argv.slice(command.name.split(' ').length);
    if (!wantsHelp(args)) return command.run(args, io);
    io.out.write(command.help);
    return EXIT.ok;
  }
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.out.write(topHelp());
    return EXIT.ok;
  }
  if (argv[0] === '--version') {
    io.out.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (argv[0].startsWith('-')) {
    throw new CliError('USAGE', `unknown flag '${argv[0]}'; before a command only --help and --version are valid; the commands are [${commandNames()}]`);
  }
  return incompleteCommand(argv, io);
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves with the exit
 * status; it never rejects. Results go to `io.out`, help for a wrong command line and errors
 * to `io.err`, an error as one line `saestream: <message>`.
 */
export async function main(argv: string[], io: CliIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  try {
    return await route(argv, io);
  } catch (e) {
    io.err.write(errorLine(e));
    return exitStatus(e);
  }
}
