/**
 * Worker threads for the CPU-heavy halves of shard I/O, so the main thread (the producer or the
 * trainer) keeps its core: decoding a row group (verify its digest, Parquet → Arrow IPC) and
 * persisting an encoded shard (sha256, write, fsync, rename). Work crosses threads as
 * transferred ArrayBuffers, never copied.
 *
 * The worker body is plain JavaScript run with `eval`, so it loads the same way from sources
 * (tests, benchmarks) and from the build.
 */
import { Worker } from 'node:worker_threads';
import { IoError, IoErrorCode } from './errors';

/** Decode one row group; `sha256` of its bytes [start, start + length) is checked first when given. */
export interface DecodeTask {
  kind: 'decode';
  file: string;
  rowGroup: number;
  rows: number;
  check?: { start: number; length: number; sha256: string };
}
/** Open a shard: check its footer bytes against `check` when given, and return its rows per row group. */
export interface OpenTask {
  kind: 'open';
  file: string;
  check?: { start: number; length: number; sha256: string };
}

/** Write encoded shard bytes atomically to `file`, then digest it whole and by row group. */
export interface PersistTask {
  kind: 'persist';
  file: string;
  bytes: Uint8Array;
}
/**
 * A written shard's digests. arrow-rs writes row groups back to back after the 4-byte magic,
 * then page indexes and the footer: row group g is [start_g, start_g + compressedSize_g), the
 * first one starting at 0 so that the magic is covered, and the tail holds the rest.
 */
export interface PersistResult {
  sha256: string;
  rowGroupBytes: number[];
  rowGroupSha256: string[];
  tailSha256: string;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const pw = require(workerData.parquetWasm);
const hex = (b) => crypto.createHash('sha256').update(b).digest('hex');
let open = { file: undefined, pf: undefined };
async function shard(file) {
  if (open.file !== file) {
    const old = open.pf;
    open = { file: undefined, pf: undefined };
    if (old) old.free();
    open = { file, pf: await pw.ParquetFile.fromFile(await fs.openAsBlob(file)) };
  }
  return open.pf;
}
function fail(code, message) { const e = new Error(message); e.code = code; throw e; }
function check(t, what) {
  if (!t.check) return;
  const bytes = new Uint8Array(t.check.length);
  const fd = fs.openSync(t.file, 'r');
  try { fs.readSync(fd, bytes, 0, t.check.length, t.check.start); } finally { fs.closeSync(fd); }
  const got = hex(bytes);
  if (got !== t.check.sha256) fail('CHECKSUM_MISMATCH', what + ' bytes have sha256 ' + got + ' but the manifest says ' + t.check.sha256);
}
async function openShard(t) {
  check(t, 'footer');
  try {
    return { value: (await shard(t.file)).metadata().rowGroups().map((g) => g.numRows()), transfer: [] };
  } catch (e) {
    fail('CORRUPT_SHARD', 'not a readable Parquet file: ' + (e && e.message || e));
  }
}
async function decode(t) {
  check(t, 'row group');
  let ipc;
  try {
    const table = await (await shard(t.file)).read({ rowGroups: [t.rowGroup], batchSize: t.rows });
    ipc = table.intoIPCStream();
  } catch (e) {
    fail('CORRUPT_SHARD', 'row group cannot be decoded: ' + (e && e.message || e));
  }
  return { value: ipc, transfer: [ipc.buffer] };
}
async function persist(t) {
  const bytes = t.bytes;
  const tmp = t.file + '.tmp-' + process.pid;
  const fd = fs.openSync(tmp, 'w');
  try { fs.writeSync(fd, bytes); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  fs.renameSync(tmp, t.file);
  const dir = fs.openSync(path.dirname(t.file), 'r');
  try { fs.fsyncSync(dir); } finally { fs.closeSync(dir); }
  const pf = await pw.ParquetFile.fromFile(await fs.openAsBlob(t.file));
  const rowGroupBytes = pf.metadata().rowGroups().map((g, i) => g.compressedSize() + (i === 0 ? 4 : 0));
  pf.free();
  const rowGroupSha256 = [];
  let at = 0;
  for (const n of rowGroupBytes) { rowGroupSha256.push(hex(bytes.subarray(at, at + n))); at += n; }
  return { value: { sha256: hex(bytes), rowGroupBytes, rowGroupSha256, tailSha256: hex(bytes.subarray(at)) }, transfer: [] };
}
// One task at a time: a decode must not see its ParquetFile freed by the next task's open.
let chain = Promise.resolve();
parentPort.on('message', (message) => { chain = chain.then(() => run(message)); });
async function run({ id, task }) {
  try {
    const { value, transfer } = await ({ open: openShard, decode, persist })[task.kind](task);
    parentPort.postMessage({ id, value }, transfer);
  } catch (e) {
    const code = task.kind === 'persist' ? 'WRITE_FAILED' : e.code === 'CHECKSUM_MISMATCH' ? e.code : 'CORRUPT_SHARD';
    parentPort.postMessage({ id, error: { code, message: String(e && e.message || e) } });
  }
}
`;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  file: string;
  rowGroup?: number;
}

/** A fixed set of workers; tasks go to the least busy one, results come back as promises. */
export class ShardWorkers {
  private readonly workers: { worker: Worker; busy: number }[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1) throw new IoError('BAD_ARGUMENT', `'workers' must be a positive integer but got ${count}`);
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { parquetWasm: require.resolve('parquet-wasm') } });
      const slot = { worker, busy: 0 };
      worker.on('message', (m: { id: number; value?: unknown; error?: { code: IoErrorCode; message: string } }) => {
        const p = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        if (--slot.busy === 0) worker.unref(); // idle workers never hold the process open
        if (m.error) p.reject(new IoError(m.error.code, m.error.message, { file: p.file, rowGroup: p.rowGroup }));
        else p.resolve(m.value);
      });
      worker.on('error', (e) => this.failAll(e));
      worker.unref();
      return slot;
    });
  }

  /** Opens a shard (its footer checked first when asked); resolves with the rows of each row group. */
  open(task: OpenTask): Promise<number[]> {
    return this.run(task, task.file, undefined, []) as Promise<number[]>;
  }

  /** Decodes a row group to Arrow IPC stream bytes. */
  decode(task: DecodeTask): Promise<Uint8Array> {
    return this.run(task, task.file, task.rowGroup, []) as Promise<Uint8Array>;
  }

  /** Writes a shard; `task.bytes` is transferred (unusable here afterwards). */
  persist(task: PersistTask): Promise<PersistResult> {
    return this.run(task, task.file, undefined, [task.bytes.buffer as ArrayBuffer]) as Promise<PersistResult>;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private run(task: OpenTask | DecodeTask | PersistTask, file: string, rowGroup: number | undefined, transfer: ArrayBuffer[]): Promise<unknown> {
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    if (slot.busy++ === 0) slot.worker.ref(); // a pending result keeps the process alive
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, file, rowGroup });
      slot.worker.postMessage({ id, task }, transfer);
    });
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(new IoError('CORRUPT_SHARD', `a shard worker failed: ${e}`, { file: p.file, rowGroup: p.rowGroup, cause: e }));
    this.pending.clear();
  }
}
