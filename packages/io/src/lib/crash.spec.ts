import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { activationColumns, readManifest, readShards } from '../index';
import { collect } from '../../test/support/synthetic';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const CHILD = path.join(__dirname, '..', '..', 'test', 'support', 'write-synthetic.ts');
const ROWS = 9000;

/** Runs the writer child; with `killAfterShards`, SIGKILLs it once that many shards have landed. */
function runWriter(dir: string, killAfterShards?: number): Promise<{ out: string; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools', 'ts-register.js'), CHILD, dir, String(ROWS)], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAfterShards !== undefined && out.includes(`shard ${killAfterShards}\n`)) {
        // Mid-way through the next shard: rows are buffered and perhaps a temporary file is open.
        setTimeout(() => child.kill('SIGKILL'), 60);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 || signal ? resolve({ out, signal }) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

const allRows = async (dir: string) =>
  (await collect(readShards(dir))).map((b: RecordBatch) => {
    const c = activationColumns(b);
    return { ctx: Array.from(c.ctx), act: Buffer.from(c.act.buffer, c.act.byteOffset, c.act.byteLength).toString('base64') };
  });

describe('a writer killed with SIGKILL mid-shard', () => {
  it('leaves only complete shards listed, and a rerun ends equal to an uninterrupted run', async () => {
    const killed = await mkdtemp(path.join(tmpdir(), 'saestream-killed-'));
    const clean = await mkdtemp(path.join(tmpdir(), 'saestream-clean-'));

    const first = await runWriter(killed, 2);
    expect(first.signal).toBe('SIGKILL');
    const afterKill = (await readManifest(killed))!;
    expect(afterKill.complete).toBe(false);
    expect(afterKill.shards.length).toBeGreaterThanOrEqual(2);
    expect(afterKill.rows).toBeLessThan(ROWS);
    // Every listed shard reads back whole.
    expect((await allRows(killed)).reduce((n, b) => n + b.ctx.length, 0)).toBe(afterKill.rows);

    const second = await runWriter(killed);
    expect(second.out).toContain(`resumed ${afterKill.rows}\n`);
    expect(second.out).toContain('done');
    await runWriter(clean);

    const [mk, mc] = [(await readManifest(killed))!, (await readManifest(clean))!];
    expect(mk.complete).toBe(true);
    expect(mk.rows).toBe(ROWS);
    expect(mk.shards).toEqual(mc.shards); // same files, rows, sizes and sha256
    expect(await allRows(killed)).toEqual(await allRows(clean));
    expect((await readdir(killed)).sort()).toEqual((await readdir(clean)).sort());
  });
});
