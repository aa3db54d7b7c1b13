import { IoError } from '../../src';

/** Runs `f`, expecting it to throw an IoError, and returns that error for closer checks. */
export function catchError(f: () => unknown): IoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IoError);
    return e as IoError;
  }
  throw new Error('expected an IoError, nothing was thrown');
}
