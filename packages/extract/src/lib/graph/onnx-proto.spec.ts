import * as ort from 'onnxruntime-node';
import { readModel } from '../../../test/support/graph-onnx-reader';
import { encodeModel, OnnxModel, ProtoWriter } from './onnx-proto';

const bytesOf = (w: ProtoWriter) => Array.from(w.finish());

describe('ProtoWriter wire format (protobuf encoding spec)', () => {
  // Tag byte 0x08 = field 1, wire type 0. Negative int64 varints are 10 bytes (two's complement).
  test.each([
    [0, [0x08, 0x00]],
    [1, [0x08, 0x01]],
    [127, [0x08, 0x7f]],
    [128, [0x08, 0x80, 0x01]],
    [300, [0x08, 0xac, 0x02]],
    [2 ** 32, [0x08, 0x80, 0x80, 0x80, 0x80, 0x10]],
    [2 ** 53 - 1, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
    [-1, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    [-2, [0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ])('varint %p', (value, expected) => {
    expect(bytesOf(new ProtoWriter().varint(1, value))).toEqual(expected);
  });

  test.each([
    ['float 1.0 (field 2, wire 5)', new ProtoWriter().float(2, 1), [0x15, 0x00, 0x00, 0x80, 0x3f]],
    ['string "ab" (field 2, wire 2)', new ProtoWriter().string(2, 'ab'), [0x12, 0x02, 0x61, 0x62]],
    ['field 20 needs a two-byte tag', new ProtoWriter().varint(20, 2), [0xa0, 0x01, 0x02]],
    ['nested message', new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)), [0x1a, 0x03, 0x08, 0x96, 0x01]],
    ['bytes kept as a view', new ProtoWriter().bytes(1, new Uint8Array([9, 8, 7])).varint(2, 1), [0x0a, 0x03, 9, 8, 7, 0x10, 0x01]],
  ])('%s', (_name, writer, expected) => {
    expect(bytesOf(writer)).toEqual(expected);
  });

  test('a non-integer varint is refused', () => {
    expect(() => new ProtoWriter().varint(1, 1.5)).toThrow(RangeError);
  });
});

/** y = Reshape(Transpose(LeakyRelu(x) + c)), f = Flatten(ConstantOfShape([2,3], 7)): every attribute kind, both initializer types. */
const smallModel: OnnxModel = {
  graph: {
    name: 'small',
    nodes: [
      { name: 'leaky', opType: 'LeakyRelu', inputs: ['x'], outputs: ['l'], attributes: { alpha: { float: 0.25 } } },
      { name: 'add', opType: 'Add', inputs: ['l', 'c'], outputs: ['a'] },
      { name: 'transpose', opType: 'Transpose', inputs: ['a'], outputs: ['t'], attributes: { perm: { ints: [1, 0] } } },
      { name: 'reshape', opType: 'Reshape', inputs: ['t', 'shape'], outputs: ['y'] },
      { name: 'ones', opType: 'ConstantOfShape', inputs: ['ones_shape'], outputs: ['o'], attributes: { value: { tensor: { name: 'v', type: 'float32', dims: [1], data: Float32Array.of(7) } } } },
      { name: 'flatten', opType: 'Flatten', inputs: ['o'], outputs: ['f'], attributes: { axis: { int: 0 } } },
    ],
    initializers: [
      { name: 'c', type: 'float32', dims: [3], data: Float32Array.of(1, 2, 3) },
      { name: 'shape', type: 'int64', dims: [1], data: BigInt64Array.of(-1n) },
      { name: 'ones_shape', type: 'int64', dims: [2], data: BigInt64Array.of(2n, 3n) },
    ],
    inputs: [{ name: 'x', type: 'float32', dims: ['n', 3] }],
    outputs: [
      { name: 'y', type: 'float32', dims: ['m'] },
      { name: 'f', type: 'float32', dims: [1, 'k'] },
    ],
  },
};

describe('encodeModel', () => {
  const bytes = encodeModel(smallModel);

  test('decodes, with an independent reader, to what was written', () => {
    const m = readModel(bytes);
    expect({ ir: m.irVersion, opsets: m.opsets, producer: m.producerName }).toEqual({ ir: 8, opsets: [{ domain: '', version: 17 }], producer: 'saestream' });
    expect(m.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs])).toEqual(smallModel.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs]));
    const attrs = Object.fromEntries(m.graph.nodes.map((n) => [n.name, n.attributes]));
    expect(attrs.leaky.alpha).toEqual({ type: 1, float: 0.25 });
    expect(attrs.transpose.perm).toEqual({ type: 7, ints: [1, 0] });
    expect(attrs.flatten.axis).toEqual({ type: 2, int: 0 });
    expect(attrs.ones.value.tensor).toEqual({ name: 'v', dataType: 1, dims: [1], values: Float32Array.of(7) });
    expect(m.graph.initializers).toEqual([
      { name: 'c', dataType: 1, dims: [3], values: Float32Array.of(1, 2, 3) },
      { name: 'shape', dataType: 7, dims: [1], values: [-1] },
      { name: 'ones_shape', dataType: 7, dims: [2], values: [2, 3] },
    ]);
    expect(m.graph.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['n', 3] }]);
    expect(m.graph.outputs).toEqual([
      { name: 'y', elemType: 1, dims: ['m'] },
      { name: 'f', elemType: 1, dims: [1, 'k'] },
    ]);
  });

  test('onnxruntime loads and runs it (symbolic batch dim), matching a JS computation', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const x = Float32Array.of(-4, 0, 4, 8, -8, 2); // [2, 3]
    const out = await session.run({ x: new ort.Tensor('float32', x, [2, 3]) });
    const leaky = (v: number) => (v < 0 ? 0.25 * v : v);
    const a = Array.from(x, (v, i) => leaky(v) + [1, 2, 3][i % 3]); // [2, 3]
    expect(Array.from(out.y.data as Float32Array)).toEqual([a[0], a[3], a[1], a[4], a[2], a[5]]); // transposed, flat
    expect(out.f.dims).toEqual([1, 6]);
    expect(Array.from(out.f.data as Float32Array)).toEqual([7, 7, 7, 7, 7, 7]);
    await session.release();
  });

  test('a tensor whose data disagrees with its dims is refused', () => {
    const bad: OnnxModel = { graph: { ...smallModel.graph, initializers: [{ name: 'c', type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3) }] } };
    expect(() => encodeModel(bad)).toThrow(/tensor 'c': dims \[4\] hold 4 elements but data has 3/);
  });

  test('a model past the 2 GiB protobuf limit is refused before anything is copied', () => {
    // 2^29 + 1 floats = 2 GiB + 4 bytes, never written to, so the pages are never touched.
    const huge = new Float32Array(2 ** 29 + 1);
    const model: OnnxModel = { graph: { ...smallModel.graph, initializers: [{ name: 'big', type: 'float32', dims: [huge.length], data: huge }] } };
    expect(() => encodeModel(model)).toThrow(expect.objectContaining({ code: 'BAD_MODEL', message: expect.stringMatching(/past protobuf's limit of 2147483647/) }));
  });
});
