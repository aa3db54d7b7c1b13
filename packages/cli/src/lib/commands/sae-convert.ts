/**
 * `saestream sae convert IN OUT`: an autoencoder file (OpenAI .pt or SAELens) written as a
 * SAELens directory, which SAELens's `SAE.load_from_disk` and saestream both read.
 */
import { stat } from 'node:fs/promises';
import { loadSae, saveSae } from '@saestream/sae-core';
import { parseFlags, positionals, trueOrFalse } from '../args';
import { Command, CliIo } from '../command';
import { EXIT } from '../errors';

const usage = 'saestream sae convert IN OUT [--normalize true|false]';

const flags = {
  normalize: { type: 'string', value: 'true|false' },
} as const;

const help = `Usage: ${usage}

Write the autoencoder in IN as a SAELens directory OUT: OUT/sae_weights.safetensors
(W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec; F32) and OUT/cfg.json
(architecture, d_in, d_sae, k, normalize_activations, and saestream's exact normalize flag).
b_dec is OpenAI's pre_bias and b_enc its latent_bias; the values are copied bit for bit.
OUT is made if missing; files of the same names in it are replaced, each atomically.

Arguments:
  IN                        an OpenAI sparse_autoencoder .pt state dict, a SAELens directory,
                            or a .safetensors file with cfg.json beside it
  OUT                       the directory to write

Flags:
  --normalize true|false    OpenAI .pt files do not record it: the default is OpenAI's
                            loader's (true for TopK), printed with a note; pass it to be sure
  -h, --help                print this help

Exit status: 0 done, 1 IN missing, not an autoencoder, or damaged, or OUT not writable,
2 usage error.

Example:
  saestream sae convert ae.pt runs/sae --normalize true && saestream sae info runs/sae
`;

const shapeText = (shape: number[]): string => `[${shape.join(', ')}]`;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('sae convert', args, flags);
  const [input, out] = positionals(usage, parsed.positionals, ['IN', 'OUT']);
  const normalize = parsed.flags.normalize === undefined ? undefined : trueOrFalse('--normalize', parsed.flags.normalize);
  const print = (line: string) => io.out.write(line + '\n');

  const { sae, format, notes } = await loadSae(input, { normalize });
  const { spec } = sae;
  const activation = spec.activation === 'topk' ? `topk k=${spec.k}` : spec.activation;
  print(`read ${input} (${format}): d_in ${spec.dIn}, n_latents ${spec.nLatents}, ${activation}, normalize ${spec.normalize}`);
  notes.forEach((n) => print(`note: ${n}`));

  const saved = await saveSae(out, sae);
  const tensors = Object.entries(saved.shapes).map(([name, shape]) => `${name} ${shapeText(shape)}`);
  print(`wrote ${saved.weightsFile} (${(await stat(saved.weightsFile)).size} bytes): ${tensors.join(', ')}`);
  const { cfg } = saved;
  print(`wrote ${saved.cfgFile}: architecture ${cfg.architecture}${cfg.k === undefined ? '' : `, k ${cfg.k}`}, normalize_activations ${cfg.normalize_activations}`);
  return EXIT.ok;
}

export const saeConvert: Command = {
  name: 'sae convert',
  summary: 'write an autoencoder file (.pt or SAELens) as a SAELens directory',
  usage,
  help,
  run,
};
