import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

// errno codes that mean "no room", as opposed to a disk or filesystem that fails.
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The node's own spool disk failed a write or flush of verified pieces: full (SPOOL_DISK_FULL), or
 * read-only, failing, gone (SPOOL_WRITE_FAILED). Not a source problem: fetching the piece again from
 * another source cannot help, so the job fails at once.
 */
export class SpoolWriteError extends AirliftError {
  readonly code: typeof ErrorCode.SpoolDiskFull | typeof ErrorCode.SpoolWriteFailed;
  /** The errno code of the failed write (ENOSPC, EIO, EROFS…), when the system gave one. */
  readonly errno: string | undefined;
  constructor(
    readonly node: string,
    /** The archive's spool directory on the node. */
    readonly path: string,
    cause: unknown,
  ) {
    const errno = errnoOf(cause);
    const full = errno !== undefined && NO_SPACE.has(errno);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      full
        ? `node ${node}: the spool disk is full (${path}: ${reason}): free space on that filesystem or point --spool-dir at a larger one (it needs room for the whole images.tar), then run \`airlift resume\``
        : `node ${node}: writing the spool failed (${path}: ${reason}): check that filesystem (read-only, failing disk?) or point --spool-dir elsewhere, then run \`airlift resume\``,
      { node, file: path },
      { cause },
    );
    this.code = full ? ErrorCode.SpoolDiskFull : ErrorCode.SpoolWriteFailed;
    this.errno = errno;
  }

  /** True when the disk ran out of space (the partial spool is then removed, see piece-shelf.ts). */
  get diskFull(): boolean {
    return this.code === ErrorCode.SpoolDiskFull;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path, errno: this.errno };
  }
}

/** True for an error a failed disk write raises (it carries an errno code such as ENOSPC or EIO). */
export function isDiskError(err: unknown): boolean {
  return !(err instanceof AirliftError) && errnoOf(err) !== undefined;
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}
