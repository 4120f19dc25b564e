// The server lives in shared/data-plane because agents serve their peers with it too; the coordinator
// imports it from here so its data-plane wiring has one place to grow (piece planning, upload limits).
export {
  ArchiveServer,
  type ArchiveServerOptions,
  type ArchiveServerStats,
  type NodeServeStats,
} from '../../shared/data-plane/index.js';
