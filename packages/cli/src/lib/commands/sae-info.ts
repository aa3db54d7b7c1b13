/**
 * `saestream sae info FILE`: what an autoencoder file holds (OpenAI .pt or SAELens), its spec,
 * metadata and parameter statistics, and what the loader had to assume.
 */
import { loadSae } from '@saestream/sae-core';
import { parseFlags, positionals, trueOrFalse } from '../args';
import { Command, CliIo } from '../command';
import { EXIT } from '../errors';
import { jsonLine } from '../format';
import { saeSummaryText, summarizeSae } from '../sae-summary';

const usage = 'saestream sae info FILE [--normalize true|false] [--json]';

const flags = {
  normalize: { type: 'string', value: 'true|false' },
  json: { type: 'boolean' },
} as const;

const help = `Usage: ${usage}

Describe a sparse autoencoder: its format, d_in, n_latents, activation (and k), whether it
normalizes its input (OpenAI's LayerNorm), the model and hook it reads when the file says,
and for each parameter its shape (latent-major, as saestream holds it), min, max and mean,
with the min and max norm of the decoder's per-latent directions.

Arguments:
  FILE                      an OpenAI sparse_autoencoder .pt state dict; a SAELens directory
                            (sae_weights.safetensors + cfg.json, as 'sae convert' writes); or
                            a .safetensors file with cfg.json beside it

Flags:
  --normalize true|false    OpenAI .pt files do not record it: the default is OpenAI's
                            loader's (true for TopK), printed with a note; for SAELens files
                            this overrides cfg.json's value
  --json                    print one JSON object instead; numbers are exact
  -h, --help                print this help

Exit status: 0 done, 1 FILE missing, not an autoencoder, or damaged, 2 usage error.

Examples:
  saestream sae info ae.pt
  saestream sae info runs/sae --json | jq .parameters.decoder
`;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('sae info', args, flags);
  const [file] = positionals(usage, parsed.positionals, ['FILE']);
  const normalize = parsed.flags.normalize === undefined ? undefined : trueOrFalse('--normalize', parsed.flags.normalize);
  const summary = summarizeSae(file, await loadSae(file, { normalize }));
  const print = (line: string) => io.out.write(line + '\n');
  if (parsed.flags.json) print(jsonLine(summary));
  else saeSummaryText(summary).forEach(print);
  return EXIT.ok;
}

export const saeInfo: Command = {
  name: 'sae info',
  summary: 'describe an autoencoder file (.pt or SAELens): spec, parameters, notes (--json)',
  usage,
  help,
  run,
};
