/** Helpers for the model specs: await a promise that must reject with an ExtractError. */
import { ExtractError } from '../../src/lib/errors';

/** Awaits `p`, expecting an ExtractError, and returns it for closer checks. */
export async function catchExtractError(p: Promise<unknown>): Promise<ExtractError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExtractError);
    return e as ExtractError;
  }
  throw new Error('expected an ExtractError, the promise resolved');
}
