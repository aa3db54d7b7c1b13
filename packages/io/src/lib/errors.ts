/**
 * The one error class of `@saestream/io`. Every failure of this package is an `IoError` with a
 * stable string `code`, a message that names what was expected and what came, and, where a
 * file is involved, the file (and the row group) it concerns.
 */

/** Every way an io operation can fail; callers switch on these, never on messages. */
export type IoErrorCode =
  | 'BAD_ARGUMENT' // an argument outside its valid range or choices
  | 'SCHEMA_MISMATCH' // a batch or file does not match the schema it must have
  | 'UNKNOWN_SCHEMA' // the `saestream.schema` metadata names a schema this version does not know
  | 'NON_FINITE' // NaN or Inf in a float column, when asked to check
  | 'CORRUPT_SHARD' // a Parquet shard that cannot be read (truncated, garbled)
  | 'MISSING_SHARD' // the manifest names a shard that is not on disk
  | 'CHECKSUM_MISMATCH' // a shard's sha256 differs from the manifest's
  | 'BAD_MANIFEST' // manifest.json unreadable, or inconsistent with the directory or writer
  | 'WRITE_FAILED' // a shard could not be written (disk full, permissions): the manifest is unchanged
  | 'CORRUPT_FILE' // a safetensors / .pt / zip file that does not parse
  | 'UNSUPPORTED'; // a valid file using a feature this reader does not handle (named in the message)

/** Where in a file the error was found. */
export interface IoErrorWhere {
  /** The file, as the caller named it. */
  file?: string;
  /** The Parquet row group, when reading by row group. */
  rowGroup?: number;
  /** The underlying error. */
  cause?: unknown;
}

export class IoError extends Error {
  override readonly name = 'IoError';
  readonly code: IoErrorCode;
  readonly file?: string;
  readonly rowGroup?: number;

  constructor(code: IoErrorCode, message: string, where: IoErrorWhere = {}) {
    const place = [where.file, where.rowGroup === undefined ? undefined : `row group ${where.rowGroup}`]
      .filter((x) => x !== undefined)
      .join(', ');
    super(place ? `${message} (${place})` : message, { cause: where.cause });
    this.code = code;
    this.file = where.file;
    this.rowGroup = where.rowGroup;
  }
}
