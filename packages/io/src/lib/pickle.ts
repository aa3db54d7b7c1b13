/**
 * An unpickler for the subset of Python's pickle that `torch.save(state_dict)` writes
 * (protocol 2), plus the protocol 4 framing opcodes (FRAME, MEMOIZE, SHORT_BINUNICODE,
 * STACK_GLOBAL). The pickle virtual machine (CPython `Lib/pickle.py`, opcode table in
 * `Lib/pickletools.py`): each opcode byte, with its inline argument, pushes onto a stack,
 * pops from it, or stores to / loads from a memo; MARK starts a group that TUPLE, SETITEMS or
 * APPENDS consumes; STOP returns the top of the stack.
 *
 * Python values become: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → number, str (and protocol 2 `str`/BINSTRING, decoded as UTF-8 as `torch.load` does)
 * → string, list and tuple → array, dict → Map, OrderedDict → `PythonOrderedDict`.
 * GLOBAL `module.name` looks the name up in a caller-provided table, so the pickle can run no
 * code the caller did not hand it; REDUCE calls what GLOBAL found; BINPERSID hands its id to
 * the caller's `persistentLoad`.
 *
 * Errors: a byte that is no pickle opcode, a truncated or inconsistent pickle → IoError
 * 'CORRUPT_FILE'; a valid opcode outside the subset, or a global not in the table →
 * 'UNSUPPORTED', naming it and listing what is supported.
 */
import { IoError } from './errors';

/** GLOBAL's lookup table: `'module.name'` → the value pushed (a function, if REDUCE is to call it). */
export type PickleGlobals = Readonly<Record<string, unknown>>;

export interface UnpickleOptions {
  /** What each allowed GLOBAL resolves to. */
  globals: PickleGlobals;
  /** Resolves BINPERSID's id (torch: `('storage', type, key, location, numel)`). */
  persistentLoad?: (pid: unknown) => unknown;
  /** The file, for error messages. */
  file?: string;
}

/** An object that accepts BUILD's state, as Python's `__setstate__` does. */
export interface PickleBuildable {
  setState(state: unknown): void;
}

/** `collections.OrderedDict`: a Map (insertion order), plus attributes set by BUILD (torch: `_metadata`). */
export class PythonOrderedDict extends Map<unknown, unknown> implements PickleBuildable {
  readonly attributes = new Map<string, unknown>();

  /** Python's default BUILD: `state` is a dict of attributes, or `(dict | None, slotstate)`. */
  setState(state: unknown): void {
    const dict = Array.isArray(state) && state.length === 2 ? state[0] : state;
    if (dict === null) return;
    if (!(dict instanceof Map)) throw new IoError('CORRUPT_FILE', `OrderedDict state must be a dict, got ${typeName(dict)}`);
    for (const [key, value] of dict) this.attributes.set(String(key), value);
  }
}

/** The Python-side globals every pickle here may use. */
export const PYTHON_GLOBALS: PickleGlobals = {
  'collections.OrderedDict': (items?: Iterable<readonly [unknown, unknown]>) => new PythonOrderedDict(items ?? []),
};

/** Runs the pickle in `bytes` and returns the value STOP leaves on top. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Unpickler(bytes, options).run();
}

/** Opcodes of protocols 0-5 outside the subset, named in errors (code:NAME, from pickletools). */
const OTHER_OPCODES = new Map(
  ('49:INT 4c:LONG 8b:LONG4 53:STRING 42:BINBYTES 43:SHORT_BINBYTES 8e:BINBYTES8 96:BYTEARRAY8 97:NEXT_BUFFER ' +
    '98:READONLY_BUFFER 56:UNICODE 8d:BINUNICODE8 46:FLOAT 6c:LIST 64:DICT 8f:EMPTY_SET 90:ADDITEMS 91:FROZENSET ' +
    '30:POP 32:DUP 31:POP_MARK 67:GET 70:PUT 82:EXT1 83:EXT2 84:EXT4 69:INST 6f:OBJ 81:NEWOBJ 92:NEWOBJ_EX 50:PERSID')
    .split(' ')
    .map((pair) => [parseInt(pair.slice(0, 2), 16), pair.slice(3)] as const),
);

type Op = { name: string; run: (u: Unpickler) => void };
const OPS = new Map<number, Op>();
const op = (code: number, name: string, run: Op['run']) => OPS.set(code, { name, run });

op(0x80, 'PROTO', (u) => {
  const version = u.u8();
  if (version > 5) throw u.unsupported(`pickle protocol ${version}; protocols 0-5 are known`);
});
op(0x95, 'FRAME', (u) => u.take(8)); // frame length: only a read-ahead hint
op(0x2e, 'STOP', (u) => (u.stopped = true));
op(0x28, 'MARK', (u) => u.marks.push(u.stack.length));
op(0x4e, 'NONE', (u) => u.stack.push(null));
op(0x88, 'NEWTRUE', (u) => u.stack.push(true));
op(0x89, 'NEWFALSE', (u) => u.stack.push(false));
op(0x4a, 'BININT', (u) => u.stack.push(u.view(4).getInt32(0, true)));
op(0x4b, 'BININT1', (u) => u.stack.push(u.u8()));
op(0x4d, 'BININT2', (u) => u.stack.push(u.view(2).getUint16(0, true)));
op(0x8a, 'LONG1', (u) => u.stack.push(littleEndianSigned(u.take(u.u8()))));
op(0x47, 'BINFLOAT', (u) => u.stack.push(u.view(8).getFloat64(0, false))); // big-endian, unlike the rest
op(0x58, 'BINUNICODE', (u) => u.stack.push(u.text(u.view(4).getUint32(0, true))));
op(0x8c, 'SHORT_BINUNICODE', (u) => u.stack.push(u.text(u.u8())));
op(0x54, 'BINSTRING', (u) => u.stack.push(u.text(u.view(4).getInt32(0, true))));
op(0x55, 'SHORT_BINSTRING', (u) => u.stack.push(u.text(u.u8())));
op(0x7d, 'EMPTY_DICT', (u) => u.stack.push(new Map()));
op(0x5d, 'EMPTY_LIST', (u) => u.stack.push([]));
op(0x29, 'EMPTY_TUPLE', (u) => u.stack.push([]));
op(0x74, 'TUPLE', (u) => u.stack.push(u.popMark()));
op(0x85, 'TUPLE1', (u) => u.stack.push(u.popN(1)));
op(0x86, 'TUPLE2', (u) => u.stack.push(u.popN(2)));
op(0x87, 'TUPLE3', (u) => u.stack.push(u.popN(3)));
op(0x61, 'APPEND', (u) => {
  const item = u.pop(); // before finding the list under it
  u.list().push(item);
});
op(0x65, 'APPENDS', (u) => {
  const items = u.popMark();
  const list = u.list();
  for (const item of items) list.push(item);
});
op(0x73, 'SETITEM', (u) => {
  const [key, value] = u.popN(2);
  u.dict().set(key, value);
});
op(0x75, 'SETITEMS', (u) => {
  const items = u.popMark();
  if (items.length % 2 !== 0) throw u.corrupt(`SETITEMS needs key/value pairs, got ${items.length} items`);
  const dict = u.dict();
  for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
});
op(0x71, 'BINPUT', (u) => u.memo.set(u.u8(), u.top()));
op(0x72, 'LONG_BINPUT', (u) => u.memo.set(u.view(4).getUint32(0, true), u.top()));
op(0x94, 'MEMOIZE', (u) => u.memo.set(u.memo.size, u.top()));
op(0x68, 'BINGET', (u) => u.stack.push(u.memoGet(u.u8())));
op(0x6a, 'LONG_BINGET', (u) => u.stack.push(u.memoGet(u.view(4).getUint32(0, true))));
op(0x63, 'GLOBAL', (u) => u.stack.push(u.global(u.line(), u.line())));
op(0x93, 'STACK_GLOBAL', (u) => {
  const [module, name] = u.popN(2);
  if (typeof module !== 'string' || typeof name !== 'string') throw u.corrupt('STACK_GLOBAL needs two strings');
  u.stack.push(u.global(module, name));
});
op(0x52, 'REDUCE', (u) => {
  const [callable, args] = u.popN(2);
  if (typeof callable !== 'function' || !Array.isArray(args)) {
    throw u.corrupt(`REDUCE needs a callable and a tuple, got ${typeName(callable)} and ${typeName(args)}`);
  }
  u.stack.push(callable(...args));
});
op(0x62, 'BUILD', (u) => {
  const state = u.pop();
  const target = u.top() as Partial<PickleBuildable>;
  if (typeof target?.setState !== 'function') throw u.unsupported(`BUILD on ${typeName(target)} is not supported`);
  target.setState(state);
});
op(0x51, 'BINPERSID', (u) => {
  const pid = u.pop();
  if (!u.options.persistentLoad) throw u.unsupported('BINPERSID (persistent id) needs a persistentLoad, and none was given');
  u.stack.push(u.options.persistentLoad(pid));
});

function typeName(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'dict';
  if (Array.isArray(value)) return 'tuple/list';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/** n bytes, little-endian two's complement (LONG1); a number when exact, else a bigint. */
function littleEndianSigned(bytes: Uint8Array): number | bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes.length > 0 && bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

class Unpickler {
  readonly stack: unknown[] = [];
  /** Stack lengths at each open MARK. */
  readonly marks: number[] = [];
  readonly memo = new Map<number, unknown>();
  stopped = false;
  private pos = 0;
  private opStart = 0;
  private opName = '';
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    readonly options: UnpickleOptions,
  ) {}

  run(): unknown {
    while (!this.stopped) {
      this.opStart = this.pos;
      this.opName = '';
      const code = this.u8();
      const found = OPS.get(code);
      if (!found) {
        const hex = `0x${code.toString(16).padStart(2, '0')}`;
        const known = OTHER_OPCODES.get(code);
        if (!known) throw this.corrupt(`byte ${hex} is not a pickle opcode`);
        const supported = [...OPS.values()].map((o) => o.name).join(', ');
        throw this.unsupported(`pickle opcode ${known} (${hex}) is not supported; supported opcodes are ${supported}`);
      }
      this.opName = found.name;
      found.run(this);
    }
    return this.pop();
  }

  /** An IoError that says where in the pickle, and in which opcode, it happened. */
  private fail(code: 'CORRUPT_FILE' | 'UNSUPPORTED', message: string): IoError {
    const where = `pickle byte ${this.opStart}${this.opName ? `, ${this.opName}` : ''}`;
    return new IoError(code, `${message} (${where})`, { file: this.options.file });
  }
  corrupt = (message: string) => this.fail('CORRUPT_FILE', message);
  unsupported = (message: string) => this.fail('UNSUPPORTED', message);

  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.bytes.byteLength) {
      throw this.corrupt(`pickle truncated: needs ${n} bytes at byte ${this.pos}, has ${this.bytes.byteLength - this.pos} (no STOP reached)`);
    }
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }
  u8 = (): number => this.take(1)[0];
  view(n: number): DataView {
    const b = this.take(n);
    return new DataView(b.buffer, b.byteOffset, n);
  }
  text(n: number): string {
    try {
      return this.decoder.decode(this.take(n));
    } catch (cause) {
      if (cause instanceof IoError) throw cause;
      throw this.corrupt('string is not valid UTF-8');
    }
  }
  /** A newline-terminated ASCII line (GLOBAL's arguments). */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.corrupt('GLOBAL argument has no terminating newline');
    return String.fromCharCode(...this.take(end - this.pos + 1).subarray(0, -1));
  }

  global(module: string, name: string): unknown {
    const key = `${module}.${name}`;
    if (!Object.hasOwn(this.options.globals, key)) {
      throw this.unsupported(`pickle global '${key}' is not supported; supported globals are ${Object.keys(this.options.globals).join(', ')}`);
    }
    return this.options.globals[key];
  }
  memoGet(index: number): unknown {
    if (!this.memo.has(index)) throw this.corrupt(`memo has no entry ${index}`);
    return this.memo.get(index);
  }

  /** The top `n` values, oldest first; never reaching below the innermost MARK. */
  popN(n: number): unknown[] {
    if (this.stack.length - n < (this.marks.at(-1) ?? 0)) throw this.corrupt(`stack underflow: needs ${n} values`);
    return this.stack.splice(this.stack.length - n, n);
  }
  pop = (): unknown => this.popN(1)[0];
  top(): unknown {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) throw this.corrupt('stack underflow: empty');
    return this.stack[this.stack.length - 1];
  }
  popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.corrupt('no MARK to pop to');
    return this.stack.splice(mark);
  }
  list(): unknown[] {
    const target = this.top();
    if (!Array.isArray(target)) throw this.corrupt(`APPEND to ${typeName(target)}, expected a list`);
    return target;
  }
  dict(): Map<unknown, unknown> {
    const target = this.top();
    if (!(target instanceof Map)) throw this.corrupt(`SETITEM on ${typeName(target)}, expected a dict`);
    return target;
  }
}
