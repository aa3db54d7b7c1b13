/**
 * Row-wise top-k of a `[rows, n]` matrix, as `torch.topk(x, k, dim=-1)`: the k largest values
 * of each row, largest first; equal values keep the lower index first. A bounded min-heap per
 * row: one comparison for most of the n values, so a row costs ~n, not n log n.
 */
export interface TopK {
  /** `[rows, k]` latent indices, by value descending. */
  indices: Int32Array;
  /** `[rows, k]` the values at those indices. */
  values: Float32Array;
}

/** `true` when (va, ia) ranks below (vb, ib): smaller value, or equal value and higher index. */
const below = (va: number, ia: number, vb: number, ib: number): boolean => va < vb || (va === vb && ia > ib);

/**
 * Top-k of each row. With `candidates`, only those column indices compete (AuxK's dead latents);
 * rows with fewer than k candidates fill the rest with index −1 and value −Infinity.
 */
export function topKRows(x: Float32Array, rows: number, n: number, k: number, candidates?: Int32Array): TopK {
  const indices = new Int32Array(rows * k);
  const values = new Float32Array(rows * k);
  const hv = new Float64Array(k);
  const hi = new Int32Array(k);
  const m = candidates ? candidates.length : n;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let size = 0;
    for (let c = 0; c < m; c++) {
      const j = candidates ? candidates[c] : c;
      const v = x[o + j];
      if (size < k) {
        // sift up into the min-heap (root = the lowest-ranked kept value)
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!below(v, j, hv[p], hi[p])) break;
          hv[i] = hv[p];
          hi[i] = hi[p];
          i = p;
        }
        hv[i] = v;
        hi[i] = j;
      } else if (below(hv[0], hi[0], v, j)) {
        // replace the root and sift down
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= k) break;
          const rc = l + 1;
          const c2 = rc < k && below(hv[rc], hi[rc], hv[l], hi[l]) ? rc : l;
          if (!below(hv[c2], hi[c2], v, j)) break;
          hv[i] = hv[c2];
          hi[i] = hi[c2];
          i = c2;
        }
        hv[i] = v;
        hi[i] = j;
      }
    }
    // drain the heap: lowest first, written from the back; missing candidates pad the end
    const out = r * k;
    for (let s = size; s < k; s++) {
      indices[out + s] = -1;
      values[out + s] = -Infinity;
    }
    for (let s = size - 1; s >= 0; s--) {
      indices[out + s] = hi[0];
      values[out + s] = hv[0];
      const lastV = hv[s];
      const lastI = hi[s];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= s) break;
        const rc = l + 1;
        const c2 = rc < s && below(hv[rc], hi[rc], hv[l], hi[l]) ? rc : l;
        if (!below(hv[c2], hi[c2], lastV, lastI)) break;
        hv[i] = hv[c2];
        hi[i] = hi[c2];
        i = c2;
      }
      hv[i] = lastV;
      hi[i] = lastI;
    }
  }
  return { indices, values };
}
