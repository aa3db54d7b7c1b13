/**
 * @saestream/extract — GPT-2 forward with transformer_lens hooks, tokenizer, corpora and windowing into activation batches.
 *
 * A stage: it may import @saestream/io and @saestream/sae-core, never another stage (the
 * workspace's lint rule enforces it). Its code lands with issue 3; nothing is exported yet.
 */
export {};
