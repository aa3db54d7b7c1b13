import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../test/support/shards';
import { shardsInspect } from './lib/commands/shards-inspect';

const packageVersion = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('the saestream router', () => {
  it('with no arguments prints the top-level help to stderr and exits 2', async () => {
    const r = await runCli([]);
    expect({ status: r.status, out: r.out }).toEqual({ status: 2, out: '' });
    expect(r.err).toMatch(/^saestream \d+\.\d+\.\d+: /);
    expect(r.err).toContain('Usage: saestream <command> [arguments] [flags]');
  });

  it.each([[['--help']], [['-h']], [['shards', '--help']]])('%j prints the top-level help and exits 0', async (argv) => {
    const r = await runCli(argv);
    expect({ status: r.status, err: r.err }).toEqual({ status: 0, err: '' });
    expect(r.out).toContain(`saestream ${packageVersion}: `);
    expect(r.out).toMatch(/\n {2}shards inspect {2}describe a shard directory/);
    expect(r.out).toContain('Exit status: 0 done (and --help), 1 the work failed');
  });

  it('the top-level help and a command help are the same whether asked with --help or -h', async () => {
    expect((await runCli(['shards', 'inspect', '-h'])).out).toBe(shardsInspect.help);
    expect((await runCli(['-h'])).out).toBe((await runCli(['--help'])).out);
  });

  it('--version prints the version in packages/cli/package.json', async () => {
    expect(await runCli(['--version'])).toEqual({ status: 0, out: `${packageVersion}\n`, err: '' });
  });

  const usageErrors: [string[], RegExp][] = [
    [['frobnicate'], /^saestream: unknown command 'frobnicate'; the commands are \[pipeline, extract, train, eval, interpret, view, sae info, sae convert, shards inspect\]\n$/],
    [['frobnicate', '--help'], /unknown command 'frobnicate'/],
    [['shards', 'frobnicate', 'DIR'], /^saestream: unknown command 'shards frobnicate'; the commands are \[pipeline, extract, train, eval, interpret, view, sae info, sae convert, shards inspect\]\n$/],
    [['shards'], /^saestream: 'shards' needs a subcommand: one of \[shards inspect\]\n$/],
    [['sae'], /^saestream: 'sae' needs a subcommand: one of \[sae info, sae convert\]\n$/],
    [['--bogus'], /^saestream: unknown flag '--bogus'; before a command only --help and --version are valid; the commands are \[pipeline, extract, train, eval, interpret, view, sae info, sae convert, shards inspect\]\n$/],
  ];
  it.each(usageErrors)('%j is a usage error: one line on stderr, exit 2', async (argv, message) => {
    const r = await runCli(argv);
    expect({ status: r.status, out: r.out }).toEqual({ status: 2, out: '' });
    expect(r.err).toMatch(message);
  });
});
