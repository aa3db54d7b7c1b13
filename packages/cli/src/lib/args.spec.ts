import { nonNegativeInt, parseFlags, positionals, trueOrFalse } from './args';
import { CliError } from './errors';

const specs = { head: { type: 'string', value: 'N' }, json: { type: 'boolean' } } as const;

describe('parseFlags', () => {
  const accepted: [string[], object, string[]][] = [
    [['dir'], {}, ['dir']],
    [['dir', '--head', '3', '--json'], { head: '3', json: true }, ['dir']],
    [['--head=3', 'dir'], { head: '3' }, ['dir']],
    [['--head', '-1'], { head: '-1' }, []], // a value that looks like a short flag is left for the value check
    [['dir', '--', '--json'], {}, ['dir', '--json']],
  ];
  it.each(accepted)('%j', (args, flags, rest) => {
    expect(parseFlags('cmd', args, specs)).toEqual({ flags, positionals: rest });
  });

  const refused: [string[], string][] = [
    [['--bogus'], "unknown flag '--bogus' for 'cmd'; the flags are [--head N, --json, --help]"],
    [['-q'], "unknown flag '-q' for 'cmd'; the flags are [--head N, --json, --help]"],
    [['--head'], "flag '--head' needs a value: --head N"],
    [['--head', '--json'], "flag '--head' needs a value: --head N"],
    [['--json=no'], "flag '--json' takes no value but got 'no'"],
  ];
  it.each(refused)('%j is a usage error', (args, message) => {
    expect(() => parseFlags('cmd', args, specs)).toThrow(new CliError('USAGE', message));
    expect(() => parseFlags('cmd', args, specs)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('nonNegativeInt', () => {
  it.each([['0', 0], ['7', 7], ['0042', 42], ['9007199254740991', 2 ** 53 - 1]])('%s → %d', (raw, n) => {
    expect(nonNegativeInt('--head', raw)).toBe(n);
  });
  it.each(['', '-1', '1.5', '1e3', ' 3', 'abc', '9007199254740992'])('%j is refused', (raw) => {
    expect(() => nonNegativeInt('--head', raw)).toThrow(`'--head' must be a non-negative integer but got '${raw}'`);
  });
});

describe('trueOrFalse', () => {
  it('reads true and false', () => {
    expect([trueOrFalse('--normalize', 'true'), trueOrFalse('--normalize', 'false')]).toEqual([true, false]);
  });
  it.each(['', 'yes', '1', 'TRUE', 'False'])('%j is refused', (raw) => {
    expect(() => trueOrFalse('--normalize', raw)).toThrow(new CliError('USAGE', `'--normalize' must be one of [true, false] but got '${raw}'`));
  });
});

describe('positionals', () => {
  it('returns exactly the named arguments, and names what is missing or extra', () => {
    expect(positionals('u DIR', ['a'], ['DIR'])).toEqual(['a']);
    expect(() => positionals('u DIR', [], ['DIR'])).toThrow('missing DIR; usage: u DIR');
    expect(() => positionals('u DIR', ['a', 'b'], ['DIR'])).toThrow("unexpected argument 'b'; usage: u DIR");
  });
});
