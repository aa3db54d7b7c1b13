import { PYTHON_GLOBALS, PythonOrderedDict, unpickle, type UnpickleOptions } from './pickle';
import { catchError } from '../../test/support/errors';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const run = (bytes: string, options: Partial<UnpickleOptions> = {}) => unpickle(hex(bytes), { globals: PYTHON_GLOBALS, ...options });
const loadStorage = (pid: unknown) => ({ loaded: pid });

/**
 * Pickles made by CPython 3 (`import pickle, collections`), each with the expression that made it
 * and the opcodes `pickletools.genops` lists in it; the last is hand-written from the opcode table
 * and checked with `pickle.loads(b, encoding='utf-8')`.
 */
const CASES: { made: string; bytes: string; covers: string; expected: unknown; options?: Partial<UnpickleOptions> }[] = [
  { made: 'pickle.dumps(None, 2)', bytes: '80024e2e', covers: 'PROTO NONE STOP', expected: null },
  { made: 'pickle.dumps((True, False), 2)', bytes: '800288898671002e', covers: 'NEWTRUE NEWFALSE TUPLE2 BINPUT', expected: [true, false] },
  {
    made: 'pickle.dumps([0, 255, 256, 65535, 65536, -1, 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**53, 2**64, -2**63], 2)',
    bytes:
      '80025d7100284b004bff4d00014dffff4a000001004affffffff4affffff7f4a000000808a0500000080008a05ffffff7fff8a0700000000000020' +
      '8a090000000000000000018a080000000000000080652e',
    covers: 'EMPTY_LIST MARK APPENDS BININT BININT1 BININT2 LONG1',
    expected: [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2n ** 53n, 2n ** 64n, -(2n ** 63n)],
  },
  {
    made: "pickle.dumps([1.5, -0.1, float('inf'), -0.0], 2)",
    bytes: '80025d710028473ff800000000000047bfb999999999999a477ff0000000000000478000000000000000652e',
    covers: 'BINFLOAT',
    expected: [1.5, -0.1, Infinity, -0],
  },
  {
    made: "pickle.dumps(['a', 'h\\u00e9llo \\u2713', ''], 2)",
    bytes: '80025d7100285801000000617101580a00000068c3a96c6c6f20e29c93710258000000007103652e',
    covers: 'BINUNICODE',
    expected: ['a', 'héllo ✓', ''],
  },
  {
    made: 'pickle.dumps(((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)), 2)',
    bytes: '800228294b018571004b014b028671014b014b024b03877102284b014b024b034b047471037471042e',
    covers: 'EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3',
    expected: [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]],
  },
  { made: 'x = [7]; pickle.dumps([x, x], 2)', bytes: '80025d7100285d71014b07616801652e', covers: 'APPEND BINGET', expected: [[7], [7]] },
  { made: "pickle.dumps({1: 'one'}, 2)", bytes: '80027d71004b0158030000006f6e657101732e', covers: 'EMPTY_DICT SETITEM', expected: new Map([[1, 'one']]) },
  {
    made: "pickle.dumps({'a': 1, 'b': [None]}, 2)",
    bytes: '80027d71002858010000006171014b0158010000006271025d71034e61752e',
    covers: 'SETITEMS',
    expected: new Map<string, unknown>([['a', 1], ['b', [null]]]),
  },
  {
    made: "pickle.dumps(collections.OrderedDict([('b', 2), ('a', 1)]), 2)",
    bytes: '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000006271024b0258010000006171034b01752e',
    covers: 'GLOBAL REDUCE',
    expected: new PythonOrderedDict([['b', 2], ['a', 1]]),
  },
  {
    made: "pickle.dumps({'k': 'v', 'list': [1]}, 4)",
    bytes: '80049519000000000000007d94288c016b948c0176948c046c697374945d944b0161752e',
    covers: 'FRAME MEMOIZE SHORT_BINUNICODE',
    expected: new Map<string, unknown>([['k', 'v'], ['list', [1]]]),
  },
  {
    made: 'pickle.dumps(collections.OrderedDict(), 4)',
    bytes: '80049522000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952942e',
    covers: 'STACK_GLOBAL',
    expected: new PythonOrderedDict(),
  },
  {
    made: "P.persistent_id = lambda self, o: ('storage', 'k0') if o == 'STORAGE' else None; P(f, 2).dump(['STORAGE', 1])",
    bytes: '80025d710028580700000073746f72616765710158020000006b307102867103514b01652e',
    covers: 'BINPERSID',
    expected: [{ loaded: ['storage', 'k0'] }, 1],
    options: { persistentLoad: loadStorage },
  },
  {
    made: "hand-written: SHORT_BINSTRING 'abc', BINSTRING 'é', TUPLE2, LONG_BINPUT 300, LONG_BINGET 300, TUPLE2",
    bytes: '800255036162635402000000c3a986722c0100006a2c010000862e',
    covers: 'SHORT_BINSTRING BINSTRING LONG_BINPUT LONG_BINGET',
    expected: [['abc', 'é'], ['abc', 'é']],
  },
];

describe('unpickle', () => {
  it.each(CASES)('$made', ({ bytes, expected, options }) => {
    expect(run(bytes, options)).toEqual(expected);
  });

  it('keeps shared references shared (BINGET returns the memoised object)', () => {
    const [a, b] = run('80025d7100285d71014b07616801652e') as unknown[];
    expect(a).toBe(b);
  });

  it('BUILD sets attributes on an OrderedDict, as torch state dicts carry _metadata', () => {
    // d = collections.OrderedDict([('w', 1)]); d._metadata = {'': {'version': 1}}; pickle.dumps(d, 2)
    const d = run(
      '800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000007771024b01737d710358090000005f6d657461' +
        '6461746171047d7105580000000071067d7107580700000076657273696f6e71084b01737373622e',
    ) as PythonOrderedDict;
    expect(d).toBeInstanceOf(PythonOrderedDict);
    expect([...d]).toEqual([['w', 1]]);
    expect(d.attributes.get('_metadata')).toEqual(new Map([['', new Map([['version', 1]])]]));
  });

  it('the cases cover every supported opcode', () => {
    const supported = /supported opcodes are (.*) \(pickle byte/.exec(catchError(() => run('80048f2e')).message)?.[1].split(', ');
    const covered = new Set(CASES.flatMap((c) => c.covers.split(' ')).concat('BUILD'));
    expect(supported?.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('unpickle errors', () => {
  const ERRORS: { name: string; bytes: string; code: string; message: RegExp }[] = [
    { name: 'unknown global (pickle.dumps(os.system, 2))', bytes: '800263706f7369780a73797374656d0a71002e', code: 'UNSUPPORTED', message: /global 'posix.system' is not supported; supported globals are collections.OrderedDict/ },
    { name: 'opcode outside the subset (pickle.dumps({1, 2}, 4))', bytes: '80049509000000000000008f94284b014b02902e', code: 'UNSUPPORTED', message: /opcode EMPTY_SET \(0x8f\) is not supported; supported opcodes are PROTO, FRAME, STOP, / },
    { name: 'a byte that is no opcode', bytes: '8002ff2e', code: 'CORRUPT_FILE', message: /byte 0xff is not a pickle opcode \(pickle byte 2\)/ },
    { name: 'no STOP', bytes: '80024e', code: 'CORRUPT_FILE', message: /truncated.*no STOP reached/ },
    { name: 'string cut short', bytes: '8002580a0000006162', code: 'CORRUPT_FILE', message: /needs 10 bytes at byte 7, has 2 .*BINUNICODE/ },
    { name: 'TUPLE without MARK', bytes: '8002742e', code: 'CORRUPT_FILE', message: /no MARK to pop to/ },
    { name: 'TUPLE1 reaching below a MARK', bytes: '80024b0128852e', code: 'CORRUPT_FILE', message: /stack underflow.*TUPLE1/ },
    { name: 'BINGET of an unset memo slot', bytes: '800268052e', code: 'CORRUPT_FILE', message: /memo has no entry 5/ },
    { name: 'REDUCE on a number', bytes: '80024b0129522e', code: 'CORRUPT_FILE', message: /REDUCE needs a callable and a tuple, got number and tuple\/list/ },
    { name: 'SETITEM on a list', bytes: '80025d4b014b02732e', code: 'CORRUPT_FILE', message: /SETITEM on tuple\/list, expected a dict/ },
    { name: 'BUILD on a list', bytes: '80025d7d622e', code: 'UNSUPPORTED', message: /BUILD on tuple\/list is not supported/ },
    { name: 'invalid UTF-8', bytes: '80028c01ff2e', code: 'CORRUPT_FILE', message: /not valid UTF-8/ },
    { name: 'protocol 6', bytes: '80064e2e', code: 'UNSUPPORTED', message: /pickle protocol 6/ },
    { name: 'BINPERSID without persistentLoad', bytes: '80024b01512e', code: 'UNSUPPORTED', message: /needs a persistentLoad/ },
  ];
  it.each(ERRORS)('$name', ({ bytes, code, message }) => {
    const error = catchError(() => unpickle(hex(bytes), { globals: PYTHON_GLOBALS, file: 'x.pkl' }));
    expect(error).toMatchObject({ code, file: 'x.pkl' });
    expect(error.message).toMatch(message);
  });
});
