export { runNodeLoad, type ArchiveImport, type NodeLoadEvent, type NodeLoadJob } from './node-loader.js';
