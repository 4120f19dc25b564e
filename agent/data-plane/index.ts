export { DEFAULT_FETCH_BUFFER_BYTES, fetchArchive, type FetchArchiveOptions } from './archive-fetcher.js';
