export { FileByteSource, BufferByteSource, type ByteSource, type FileRange } from './byte-source.js';
export { indexTar } from './tar-index.js';
export { checkEntryPath } from './entry-path.js';
export { memberSpan, type ByteSpan, type TarEntry, type TarEntryType } from './tar-entry.js';
export { tarFileMember, TAR_TRAILER } from './tar-file-writer.js';
