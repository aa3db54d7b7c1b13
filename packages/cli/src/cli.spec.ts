import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { activationsDir, expectedActivations } from '../test/support/shards';

/** The repository root, where `node -r tools/ts-register.js` runs TypeScript sources. */
const root = path.join(__dirname, '..', '..', '..');
const entry = ['-r', path.join(root, 'tools', 'ts-register.js'), path.join(root, 'packages', 'cli', 'src', 'cli.ts')];
const saestream = (...args: string[]) => spawnSync(process.execPath, [...entry, ...args], { cwd: root, encoding: 'utf8' });

describe('the saestream process (src/cli.ts, the entry bin/saestream.js loads once built)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await activationsDir();
  });

  it('inspects a shard directory and exits 0', () => {
    const r = saestream('shards', 'inspect', dir);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain('schema: activations/1\n');
    expect(r.stdout).toMatch(/ {2}total \(3 shards\)\s+3000\s+12\s/);
  });

  it('prints JSON lines that parse back to the rows written', () => {
    const r = saestream('shards', 'inspect', dir, '--json', '--head', '2');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(1)).toEqual(expectedActivations(0, 2));
  });

  it('sets the exit status: 2 and one stderr line for a usage error, 1 for a missing directory', () => {
    const usage = saestream('shards', 'inspect');
    expect({ status: usage.status, stdout: usage.stdout }).toEqual({ status: 2, stdout: '' });
    expect(usage.stderr).toMatch(/^saestream: missing DIR; usage: [^\n]*\n$/);
    const missing = saestream('shards', 'inspect', path.join(dir, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^saestream: '[^\n]*nope' does not exist\n$/);
  });

  it('stops quietly when the reader of its output goes away (| head)', () => {
    const command = [process.execPath, ...entry, 'shards', 'inspect', dir, '--json', '--head', '3000'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('sh', ['-c', `${command} | head -n 1`], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'activations/1' });
  });
});
