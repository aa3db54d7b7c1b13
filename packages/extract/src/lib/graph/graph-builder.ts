/**
 * Builds an OnnxGraph node by node: names nodes from a scope (`blocks.3.attn.`), shares scalar
 * and shape constants, and at the end keeps only the nodes and initializers the outputs need.
 */
import { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-proto';

export class GraphBuilder {
  /** Prefix of the names of the nodes added next. */
  scope = '';
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers = new Map<string, OnnxTensor>();
  private readonly nodeNames = new Set<string>();
  private readonly valueNames = new Set<string>();

  /**
   * Adds a node with one output.
   * @param label the node's name within the scope; the output takes the same name unless `output` is given
   * @returns the output's name
   */
  op(opType: string, label: string, inputs: string[], attributes?: Record<string, OnnxAttribute>, output?: string): string {
    return this.opN(opType, label, inputs, 1, attributes, output ? [output] : undefined)[0];
  }

  /** Adds a node with `count` outputs, named `<scope><label>.<i>` unless `outputs` is given. */
  opN(opType: string, label: string, inputs: string[], count: number, attributes?: Record<string, OnnxAttribute>, outputs?: string[]): string[] {
    const name = this.scope + label;
    const outs = outputs ?? (count === 1 ? [name] : Array.from({ length: count }, (_, i) => `${name}.${i}`));
    for (const [names, n] of [[this.nodeNames, name], ...outs.map((o) => [this.valueNames, o] as const)] as const) {
      if (names.has(n)) throw new Error(`graph name '${n}' used twice`);
      names.add(n);
    }
    this.nodes.push({ name, opType, inputs, outputs: outs, attributes });
    return outs;
  }

  /** Adds (once) an initializer, e.g. a weight. */
  initializer(name: string, type: OnnxTensor['type'], dims: number[], data: Float32Array | BigInt64Array): string {
    if (!this.initializers.has(name)) this.initializers.set(name, { name, type, dims, data });
    return name;
  }

  /** A float32 scalar constant. */
  float(value: number): string {
    return this.initializer(`const.f32(${value})`, 'float32', [], Float32Array.of(value));
  }

  /** An int64 constant: a 1-D tensor, or a scalar when `scalar`. */
  ints(values: number[], scalar = false): string {
    const dims = scalar ? [] : [values.length];
    return this.initializer(`const.i64${scalar ? '' : '[]'}(${values.join(',')})`, 'int64', dims, BigInt64Array.from(values, BigInt));
  }

  /**
   * The graph that computes `outputs` from `inputs`: nodes none of the outputs depend on, and
   * initializers no kept node reads, are left out (nodes stay in topological order).
   */
  build(name: string, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): OnnxGraph {
    const needed = new Set(outputs.map((o) => o.name));
    const kept: OnnxNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!node.outputs.some((o) => needed.has(o))) continue;
      kept.push(node);
      node.inputs.forEach((input) => needed.add(input));
    }
    const initializers = [...this.initializers.values()].filter((t) => needed.has(t.name));
    return { name, nodes: kept.reverse(), initializers, inputs, outputs };
  }
}
