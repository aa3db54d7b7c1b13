/**
 * `--latents`: which latents to report. `all` (default), a count `N` (the first N), a range
 * `A-B` (inclusive) or a list `A,B,C`. Returns the sorted ids.
 */
import { InterpretError } from './errors';

export function parseLatentSelection(spec: string, nLatents: number): Int32Array {
  const s = spec.trim();
  const bad = (why: string): never => {
    throw new InterpretError('BAD_ARGUMENT', `--latents '${spec}' ${why}; give all, a count N, a range A-B or a list A,B,C of ids in [0, ${nLatents})`);
  };
  const id = (t: string): number => {
    if (!/^\d+$/.test(t.trim())) bad(`has '${t}', not an id`);
    const v = Number(t);
    if (v >= nLatents) bad(`names latent ${v}, but the SAE has ${nLatents}`);
    return v;
  };
  if (s === 'all') return Int32Array.from({ length: nLatents }, (_, i) => i);
  if (/^\d+$/.test(s)) {
    const count = Number(s);
    if (count < 1 || count > nLatents) bad(`asks for ${count} latents`);
    return Int32Array.from({ length: count }, (_, i) => i);
  }
  const range = /^(\d+)-(\d+)$/.exec(s);
  if (range) {
    const [a, b] = [id(range[1]), id(range[2])];
    if (a > b) bad('is a range that ends before it starts');
    return Int32Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  if (s.includes(',')) return Int32Array.from(new Set(s.split(',').map(id))).sort();
  return bad('is not understood');
}
