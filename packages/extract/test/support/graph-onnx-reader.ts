/**
 * A minimal protobuf *decoder* for the ONNX messages `onnx-proto.ts` writes, for tests: it reads
 * the wire format independently of the encoder (varints, length-delimited, fixed32/64) and
 * names fields by the numbers in onnx.proto, so a wrong field number or wire type shows up.
 */

type WireValue = bigint | Uint8Array;
interface Field {
  no: number;
  wire: number;
  value: WireValue;
}

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let v = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (at >= bytes.length) throw new Error('protobuf: varint runs past the end');
    const b = bytes[at++];
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [v, at];
  }
}

/** Every field of one message, in order. */
export function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  for (let at = 0; at < bytes.length; ) {
    const [tag, next] = readVarint(bytes, at);
    const [no, wire] = [Number(tag >> 3n), Number(tag & 7n)];
    at = next;
    if (wire === 0) {
      const [v, after] = readVarint(bytes, at);
      out.push({ no, wire, value: v });
      at = after;
    } else if (wire === 2) {
      const [len, after] = readVarint(bytes, at);
      out.push({ no, wire, value: bytes.subarray(after, after + Number(len)) });
      at = after + Number(len);
    } else if (wire === 5 || wire === 1) {
      const n = wire === 5 ? 4 : 8;
      out.push({ no, wire, value: bytes.subarray(at, at + n) });
      at += n;
    } else throw new Error(`protobuf: unsupported wire type ${wire} (field ${no})`);
    if (at > bytes.length) throw new Error(`protobuf: field ${no} runs past the end`);
  }
  return out;
}

const text = (v: WireValue) => new TextDecoder().decode(v as Uint8Array);
const int = (v: WireValue) => Number(BigInt.asIntN(64, v as bigint));
const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no).map((f) => f.value);
const one = (fs: Field[], no: number) => fs.find((f) => f.no === no)?.value;

export interface TensorSummary {
  name: string;
  dataType: number;
  dims: number[];
  /** raw_data decoded by dataType (1 float, 7 int64). */
  values: number[] | Float32Array;
}
export type AttributeSummary = { type: number; int?: number; float?: number; ints?: number[]; tensor?: TensorSummary };
export interface NodeSummary {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeSummary>;
}
export interface ValueInfoSummary {
  name: string;
  elemType: number;
  dims: (number | string)[];
}
export interface ModelSummary {
  irVersion: number;
  producerName: string;
  opsets: { domain: string; version: number }[];
  graph: { name: string; nodes: NodeSummary[]; initializers: TensorSummary[]; inputs: ValueInfoSummary[]; outputs: ValueInfoSummary[] };
}

function tensor(bytes: Uint8Array): TensorSummary {
  const fs = fields(bytes);
  const dataType = int(one(fs, 2) ?? 0n);
  const raw = new Uint8Array(one(fs, 9) as Uint8Array); // copy: aligned for the typed views
  const values = dataType === 1 ? new Float32Array(raw.buffer) : Array.from(new BigInt64Array(raw.buffer), Number);
  return { name: text(one(fs, 8) ?? new Uint8Array()), dataType, dims: all(fs, 1).map(int), values };
}

function attribute(bytes: Uint8Array): [string, AttributeSummary] {
  const fs = fields(bytes);
  const a: AttributeSummary = { type: int(one(fs, 20) ?? 0n) };
  const f = one(fs, 2);
  if (f) a.float = new DataView((f as Uint8Array).slice().buffer).getFloat32(0, true);
  if (one(fs, 3) !== undefined) a.int = int(one(fs, 3)!);
  if (a.type === 7) a.ints = all(fs, 8).map(int);
  if (one(fs, 5)) a.tensor = tensor(one(fs, 5) as Uint8Array);
  return [text(one(fs, 1)!), a];
}

function node(bytes: Uint8Array): NodeSummary {
  const fs = fields(bytes);
  return {
    name: text(one(fs, 3) ?? new Uint8Array()),
    opType: text(one(fs, 4)!),
    domain: text(one(fs, 7) ?? new Uint8Array()),
    inputs: all(fs, 1).map(text),
    outputs: all(fs, 2).map(text),
    attributes: Object.fromEntries(all(fs, 5).map((a) => attribute(a as Uint8Array))),
  };
}

function valueInfo(bytes: Uint8Array): ValueInfoSummary {
  const fs = fields(bytes);
  const tensorType = fields(one(fields(one(fs, 2) as Uint8Array), 1) as Uint8Array);
  const dims = all(fields(one(tensorType, 2) as Uint8Array), 1).map((d) => {
    const df = fields(d as Uint8Array);
    return one(df, 1) !== undefined ? int(one(df, 1)!) : text(one(df, 2)!);
  });
  return { name: text(one(fs, 1)!), elemType: int(one(tensorType, 1)!), dims };
}

/** Decodes a ModelProto's header, graph, nodes, initializers and inputs/outputs. */
export function readModel(bytes: Uint8Array): ModelSummary {
  const fs = fields(bytes);
  const g = fields(one(fs, 7) as Uint8Array);
  return {
    irVersion: int(one(fs, 1)!),
    producerName: text(one(fs, 2) ?? new Uint8Array()),
    opsets: all(fs, 8).map((o) => {
      const os = fields(o as Uint8Array);
      return { domain: text(one(os, 1) ?? new Uint8Array()), version: int(one(os, 2)!) };
    }),
    graph: {
      name: text(one(g, 2) ?? new Uint8Array()),
      nodes: all(g, 1).map((n) => node(n as Uint8Array)),
      initializers: all(g, 5).map((t) => tensor(t as Uint8Array)),
      inputs: all(g, 11).map((v) => valueInfo(v as Uint8Array)),
      outputs: all(g, 12).map((v) => valueInfo(v as Uint8Array)),
    },
  };
}
