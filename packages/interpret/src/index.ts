/**
 * @saestream/interpret — Per-latent maxima joined back to the source text, and a viewer.
 *
 * A stage: it may import @saestream/io and @saestream/sae-core, never another stage (the
 * workspace's lint rule enforces it). Its code lands with issue 5; nothing is exported yet.
 */
export {};
