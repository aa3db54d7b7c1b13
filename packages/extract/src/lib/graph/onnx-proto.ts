/**
 * A minimal protobuf encoder for the ONNX messages a forward graph needs, written by hand (no
 * protobufjs): every field is a tag `varint(field << 3 | wireType)` then its value, where
 * wire type 0 is a varint, 2 is `varint(length) bytes` (strings, bytes, nested messages) and 5 is
 * 4 little-endian bytes (float). Repeated scalars are written unpacked (proto2, as onnx.proto
 * declares them); int64 values that are negative take ten varint bytes (two's complement).
 *
 * Field numbers, from onnx/onnx.proto (IR version 8):
 *
 * | message            | field                                                                    |
 * | ------------------ | ------------------------------------------------------------------------ |
 * | ModelProto         | ir_version 1, producer_name 2, graph 7, opset_import 8                   |
 * | OperatorSetIdProto | domain 1, version 2                                                      |
 * | GraphProto         | node 1, name 2, initializer 5, input 11, output 12                       |
 * | NodeProto          | input 1, output 2, name 3, op_type 4, attribute 5, domain 7              |
 * | AttributeProto     | name 1, f 2, i 3, t 5, ints 8, type 20 (FLOAT 1, INT 2, TENSOR 4, INTS 7)|
 * | TensorProto        | dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9               |
 * | ValueInfoProto     | name 1, type 2                                                           |
 * | TypeProto          | tensor_type 1                                                            |
 * | TypeProto.Tensor   | elem_type 1, shape 2                                                     |
 * | TensorShapeProto   | dim 1                                                                    |
 * | Dimension          | dim_value 1, dim_param 2                                                 |
 *
 * Tensor data goes in `raw_data` as little-endian bytes (the host order on every platform Node
 * ships for but big-endian s390x/ppc64, which are not supported). Large `raw_data` views are kept
 * as views until `encodeModel` copies everything once into the result.
 */
import { ExtractError } from '../errors';

/** Element types the graphs here use. */
export type OnnxElemType = 'float32' | 'int64';

/** An initializer or tensor attribute: `data.length === prod(dims)`. */
export interface OnnxTensor {
  name: string;
  type: OnnxElemType;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** An attribute value, tagged by its ONNX type. */
export type OnnxAttribute = { int: number } | { float: number } | { ints: number[] } | { tensor: OnnxTensor };

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, OnnxAttribute>;
  /** Operator domain; '' (the default ONNX domain) when absent. */
  domain?: string;
}

/** A graph input or output: element type and dims, a string dim being symbolic (`batch`). */
export interface OnnxValueInfo {
  name: string;
  type: OnnxElemType;
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  /** Default-domain opset; 17 (LayerNormalization) unless given. */
  opset?: number;
  /** IR version; 8 (the one that goes with opset 17) unless given. */
  irVersion?: number;
  producerName?: string;
}

/** protobuf messages (and so ONNX models with embedded weights) are limited to 2 GiB. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

const DATA_TYPE: Record<OnnxElemType, number> = { float32: 1, int64: 7 };
const ATTRIBUTE_TYPE = { float: 1, int: 2, tensor: 4, ints: 7 } as const;
const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;
const utf8 = new TextEncoder();

/**
 * One message being written: small fields accumulate in `pending`; byte views and nested
 * messages are appended as parts without copying. `length` is the encoded size so far.
 */
export class ProtoWriter {
  private readonly parts: (Uint8Array | ProtoWriter)[] = [];
  private pending: number[] = [];
  length = 0;

  /** A varint field (int32, int64, enum); negative values as 64-bit two's complement. */
  varint(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.pushVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    for (const b of bytes) this.pushByte(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A length-delimited field holding `value` (kept as a view until `finish`). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH);
    this.pushVarint(value.byteLength);
    this.flush();
    this.parts.push(value);
    this.length += value.byteLength;
    return this;
  }

  /** A nested message field. */
  message(field: number, value: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH);
    this.pushVarint(value.length);
    this.flush();
    this.parts.push(value);
    this.length += value.length;
    return this;
  }

  /** The encoded message, copied once into one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    const end = this.writeInto(out, 0);
    if (end !== this.length) throw new Error(`protobuf writer wrote ${end} bytes but counted ${this.length}`);
    return out;
  }

  private writeInto(out: Uint8Array, offset: number): number {
    this.flush();
    for (const part of this.parts) {
      if (part instanceof ProtoWriter) offset = part.writeInto(out, offset);
      else {
        out.set(part, offset);
        offset += part.byteLength;
      }
    }
    return offset;
  }

  private tag(field: number, wireType: number): void {
    this.pushVarint(field * 8 + wireType);
  }

  private pushVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint must be a safe integer, got ${value}`);
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(value));
      for (; v > 0x7fn; v >>= 7n) this.pushByte(Number(v & 0x7fn) | 0x80);
      this.pushByte(Number(v));
      return;
    }
    for (; value > 0x7f; value = Math.floor(value / 128)) this.pushByte((value % 128) | 0x80);
    this.pushByte(value);
  }

  private pushByte(b: number): void {
    this.pending.push(b);
    this.length++;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }
}

function tensorMessage(t: OnnxTensor): ProtoWriter {
  const numel = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== numel) throw new RangeError(`tensor '${t.name}': dims [${t.dims}] hold ${numel} elements but data has ${t.data.length}`);
  const w = new ProtoWriter();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, DATA_TYPE[t.type]).string(8, t.name);
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function attributeMessage(name: string, a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('int' in a) return w.varint(3, a.int).varint(20, ATTRIBUTE_TYPE.int);
  if ('float' in a) return w.float(2, a.float).varint(20, ATTRIBUTE_TYPE.float);
  if ('ints' in a) {
    for (const v of a.ints) w.varint(8, v);
    return w.varint(20, ATTRIBUTE_TYPE.ints);
  }
  return w.message(5, tensorMessage(a.tensor)).varint(20, ATTRIBUTE_TYPE.tensor);
}

function nodeMessage(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, attributeMessage(name, a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfoMessage(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, DATA_TYPE[v.type]).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function graphMessage(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeMessage(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorMessage(t));
  for (const v of g.inputs) w.message(11, valueInfoMessage(v));
  for (const v of g.outputs) w.message(12, valueInfoMessage(v));
  return w;
}

/**
 * Serializes a ModelProto.
 * @throws ExtractError 'BAD_MODEL' when the encoding would pass protobuf's 2 GiB limit.
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  const opset = new ProtoWriter().string(1, '').varint(2, model.opset ?? 17);
  const w = new ProtoWriter()
    .varint(1, model.irVersion ?? 8)
    .string(2, model.producerName ?? 'saestream')
    .message(7, graphMessage(model.graph))
    .message(8, opset);
  if (w.length > PROTOBUF_LIMIT) {
    throw new ExtractError(
      'BAD_MODEL',
      `ONNX model '${model.graph.name}' would be ${w.length} bytes, past protobuf's limit of ${PROTOBUF_LIMIT} (2 GiB); request hooks in earlier layers`,
    );
  }
  return w.finish();
}
