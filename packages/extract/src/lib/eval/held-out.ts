/**
 * The held-out slice of a window stream (see eval-config.ts): windows that start at or after
 * `skipTokens` window tokens, up to `tokens` window tokens, the last cut short. Reading stops
 * as soon as the slice is full, so only the corpus up to its end is tokenized.
 */
import { Window } from '../corpus';
import { ExtractError } from '../errors';

/**
 * @param minLength windows shorter than this (after the cut) are left out: too short to score
 * @throws ExtractError 'BAD_CORPUS' when no window is left after `skipTokens`
 */
export async function heldOutWindows(windows: AsyncIterable<Window> | Iterable<Window>, skipTokens: number, tokens: number, minLength = 2): Promise<Window[]> {
  const out: Window[] = [];
  let seen = 0; // window tokens before the current window
  let left = tokens;
  for await (const w of windows) {
    const start = seen;
    seen += w.tokens.length;
    if (start < skipTokens) continue;
    const cut = w.tokens.length > left ? { ...w, tokens: w.tokens.slice(0, left) } : w;
    if (cut.tokens.length >= minLength) out.push(cut);
    left -= cut.tokens.length;
    if (left <= 0) break;
  }
  if (out.length === 0) {
    throw new ExtractError('BAD_CORPUS', `the corpus has no context window left after skipping ${skipTokens} tokens (it has ${seen} window tokens); lower the skip or use a larger corpus`);
  }
  return out;
}
