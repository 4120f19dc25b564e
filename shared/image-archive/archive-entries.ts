import { createHash } from 'node:crypto';
import { ArchiveMalformedError, ArchiveMissingBlobError, BundleUnsafeEntryError } from '../errors/index.js';
import { checkEntryPath, type ByteSource, type TarEntry } from '../tar/index.js';

/** The file members of images.tar by normalised name, with the source to read them from. */
export class ArchiveEntries {
  private constructor(
    readonly source: ByteSource,
    private readonly files: ReadonlyMap<string, TarEntry>,
    /** The order in which file members appear; go-containerregistry writes manifest.json last. */
    readonly order: readonly string[],
  ) {}

  /** Validates member names (no traversal, no links) and indexes the files. */
  static from(source: ByteSource, entries: readonly TarEntry[]): ArchiveEntries {
    const files = new Map<string, TarEntry>();
    const order: string[] = [];
    for (const entry of entries) {
      // `tar -C dir -cf x.tar .` starts with a `./` member for the root itself: nothing to check or keep.
      if (entry.type === 'directory' && /^(\.\/?)+$/.test(entry.name)) continue;
      const checked = checkEntryPath(entry.name);
      if ('problem' in checked) throw new BundleUnsafeEntryError(source.label, entry.name, checked.problem);
      if (entry.type === 'directory') continue;
      if (entry.type !== 'file') {
        throw new BundleUnsafeEntryError(
          source.label,
          entry.name,
          `${entry.type} entries are not allowed in images.tar`,
        );
      }
      if (files.has(checked.path)) {
        throw new ArchiveMalformedError(source.label, checked.path, 'appears twice');
      }
      files.set(checked.path, entry);
      order.push(checked.path);
    }
    return new ArchiveEntries(source, files, order);
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** The entry for a blob named by a manifest, or ArchiveMissingBlobError naming who referenced it. */
  require(name: string, referencedBy: string): TarEntry {
    const entry = this.files.get(stripDotSlash(name));
    if (entry === undefined) throw new ArchiveMissingBlobError(this.source.label, name, referencedBy);
    return entry;
  }

  /** Reads a small member (manifests, configs) fully. */
  async readSmall(name: string, referencedBy: string, limit = 16 << 20): Promise<Buffer> {
    const entry = this.require(name, referencedBy);
    if (entry.size > limit) {
      throw new ArchiveMalformedError(
        this.source.label,
        name,
        `is ${entry.size} bytes, more than a metadata file can be`,
      );
    }
    return this.source.read(entry.dataOffset, entry.size);
  }

  /** Parses a small JSON member, naming the entry on failure. */
  async readJson(name: string, referencedBy: string): Promise<unknown> {
    const bytes = await this.readSmall(name, referencedBy);
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (err) {
      throw new ArchiveMalformedError(this.source.label, name, 'is not valid JSON', err);
    }
  }

  /** sha256 of a member, streamed; used for layer verification, which reads every byte. */
  async digestOf(name: string): Promise<string> {
    const entry = this.require(name, 'digest check');
    const hash = createHash('sha256');
    for await (const chunk of this.source.stream(entry.dataOffset, entry.size)) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  }
}

/** sha256 digest string of a buffer. */
export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function stripDotSlash(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}
