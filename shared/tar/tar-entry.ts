/** What kind of thing a tar entry is; anything but file and directory is refused by the readers. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One member of a tar archive, located by byte range so it can be read without extraction. */
export interface TarEntry {
  readonly name: string;
  readonly type: TarEntryType;
  readonly size: number;
  /** Offset of the first data byte within the archive. */
  readonly dataOffset: number;
  /** Offset of the entry's first header block (PAX/GNU records included). */
  readonly headerOffset: number;
  readonly linkname?: string;
  /** The raw typeflag, for error messages about odd entries. */
  readonly typeflag: string;
}

/** A contiguous run of bytes in an archive. */
export interface ByteSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * The bytes a member occupies, from its first header block (PAX/GNU records included) to the end of
 * its padded data: copied as they are, they make the same member in another tar stream.
 */
export function memberSpan(entry: TarEntry): ByteSpan {
  return {
    offset: entry.headerOffset,
    length: entry.dataOffset + Math.ceil(entry.size / 512) * 512 - entry.headerOffset,
  };
}

/** Maps a ustar typeflag to an entry type. */
export function entryTypeOf(typeflag: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}
