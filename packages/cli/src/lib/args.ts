/**
 * Flag parsing on top of `node:util` parseArgs. parseArgs runs non-strict with tokens so that
 * the checks happen here, where the messages can name the command, quote its synopsis and
 * list its flags (parseArgs' own strict errors name none of these).
 */
import { parseArgs } from 'node:util';
import { CliError } from './errors';

/** One flag of a command. */
export interface FlagSpec {
  /** `boolean` for a switch (`--json`), `string` for a flag with a value (`--head N`). */
  type: 'boolean' | 'string';
  /** The value's name in messages, e.g. `N`; string flags only. */
  value?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed flag values: a string flag's raw text, a switch's `true`, `undefined` when absent. */
export type FlagValues<S extends FlagSpecs> = { [K in keyof S]?: S[K]['type'] extends 'string' ? string : boolean };

export interface ParsedArgs<S extends FlagSpecs> {
  flags: FlagValues<S>;
  positionals: string[];
}

/** `--head N, --json, ...` as listed in messages; `--help` is handled by the router but listed too. */
function flagList(specs: FlagSpecs): string {
  const names = Object.entries(specs).map(([name, s]) => (s.type === 'string' ? `--${name} ${s.value ?? 'VALUE'}` : `--${name}`));
  return [...names, '--help'].join(', ');
}

/**
 * Splits a command's arguments into flags and positionals. Rejects unknown flags, string
 * flags without a value (`--head` at the end, or followed by another flag) and switches
 * given a value (`--json=1`). Arguments after `--` are positionals.
 */
export function parseFlags<S extends FlagSpecs>(command: string, args: string[], specs: S): ParsedArgs<S> {
  const options = Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.type }]));
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(specs, t.name) ? specs[t.name] : undefined;
    if (!spec) throw new CliError('USAGE', `unknown flag '${t.rawName}' for '${command}'; the flags are [${flagList(specs)}]`);
    if (spec.type === 'boolean') {
      if (t.value !== undefined) throw new CliError('USAGE', `flag '${t.rawName}' takes no value but got '${t.value}'`);
      flags[t.name] = true;
    } else {
      // Non-strict parseArgs takes the next argument as the value even when it is a flag.
      const value = t.value;
      if (value === undefined || (!t.inlineValue && value.startsWith('--'))) {
        throw new CliError('USAGE', `flag '${t.rawName}' needs a value: ${t.rawName} ${spec.value ?? 'VALUE'}`);
      }
      flags[t.name] = value;
    }
  }
  return { flags: flags as FlagValues<S>, positionals };
}

/** A flag's value as a non-negative integer (a row count, say). */
export function nonNegativeInt(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new CliError('USAGE', `'${flag}' must be a non-negative integer but got '${raw}'`);
  }
  return Number(raw);
}

/** A flag's value as a boolean: exactly `true` or `false` (so that `--normalize false` reads as it says). */
export function trueOrFalse(flag: string, raw: string): boolean {
  if (raw !== 'true' && raw !== 'false') throw new CliError('USAGE', `'${flag}' must be one of [true, false] but got '${raw}'`);
  return raw === 'true';
}

/** Exactly the named positional arguments, in order; too few or too many is a usage error. */
export function positionals(usage: string, got: string[], names: string[]): string[] {
  if (got.length < names.length) {
    throw new CliError('USAGE', `missing ${names.slice(got.length).join(' ')}; usage: ${usage}`);
  }
  if (got.length > names.length) {
    throw new CliError('USAGE', `unexpected argument '${got[names.length]}'; usage: ${usage}`);
  }
  return got;
}
