/**
 * @saestream/train — Streaming TopK SAE trainer: batches to steps to checkpoints, metrics and exact resume.
 *
 * A stage: it may import @saestream/io and @saestream/sae-core, never another stage (the
 * workspace's lint rule enforces it). Its code lands with issue 4; nothing is exported yet.
 */
export {};
