import { Window } from '../corpus';
import { heldOutWindows } from './held-out';

/** Windows of the given lengths, tokens numbering the stream's window tokens. */
function stream(lengths: number[]): Window[] {
  let t = 0;
  return lengths.map((n, ctx) => ({ ctx, doc: 0, offset: 0, tokens: Int32Array.from({ length: n }, () => t++) }));
}
const cut = (ws: Window[]) => ws.map((w) => [w.ctx, w.tokens.length]);

// [case, window lengths, skipTokens, tokens, [ctx, length] kept]
test.each<[string, number[], number, number, number[][]]>([
  ['no skip', [4, 4, 4], 0, 8, [[0, 4], [1, 4]]],
  ['the last window cut short', [4, 4, 4], 0, 7, [[0, 4], [1, 3]]],
  ['skip exactly one window', [4, 4, 4], 4, 8, [[1, 4], [2, 4]]],
  ['a window started before the skip is left out whole', [4, 4, 4], 5, 8, [[2, 4]]],
  ['short windows count as they are', [4, 2, 4], 4, 100, [[1, 2], [2, 4]]],
  ['a cut below minLength (2) is dropped', [4, 4], 0, 5, [[0, 4]]],
])('%s', async (_case, lengths, skip, tokens, expected) => {
  expect(cut(await heldOutWindows(stream(lengths), skip, tokens))).toEqual(expected);
});

test('stops reading at the end of the slice', async () => {
  let read = 0;
  async function* windows() {
    for (const w of stream([4, 4, 4, 4])) {
      read++;
      yield w;
    }
  }
  await heldOutWindows(windows(), 0, 4);
  expect(read).toBe(1);
});

test('nothing left after the skip → BAD_CORPUS naming the numbers', async () => {
  await expect(heldOutWindows(stream([4, 4]), 8, 10)).rejects.toMatchObject({ code: 'BAD_CORPUS', message: expect.stringContaining('after skipping 8 tokens (it has 8 window tokens)') });
});
