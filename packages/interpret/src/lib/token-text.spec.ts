import { renderBytes, TokenText, tokenBytes, vocabFromTokenizerJson } from './token-text';

describe('GPT-2 byte-level tokens as text', () => {
  it.each([
    ['Ġthe', ' the'], // Ġ spells the space byte
    ['Hello', 'Hello'],
    ['Ċ', '\n'],
    ['<|endoftext|>', '<|endoftext|>'],
    ['Ã©', 'é'], // two bytes, one character
    ['âĢ', '\\xe2\\x80'], // the first two bytes of a three-byte character (’): escaped, not U+FFFD
    ['ľ', '\\x9c'], // its last byte alone
  ])('%s → %j', (vocabString, text) => {
    expect(renderBytes(tokenBytes(vocabString))).toBe(text);
  });

  it('joins a split character back when its tokens are concatenated', () => {
    const bytes = Uint8Array.from([...tokenBytes('âĢ'), ...tokenBytes('ľ')]);
    expect(new TextDecoder().decode(bytes)).toBe('\u201c');
  });

  it('reads the vocab and added tokens of a tokenizer.json and renders ids', () => {
    const vocab = vocabFromTokenizerJson({ model: { vocab: { a: 0, 'Ġb': 1 } }, added_tokens: [{ id: 2, content: '<|endoftext|>' }] });
    expect(new TokenText(vocab).tokens([2, 0, 1, 7])).toEqual(['<|endoftext|>', 'a', ' b', '<7>']);
  });
});
