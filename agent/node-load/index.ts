export { runNodeLoad, type NodeLoadEvent, type NodeLoadJob } from './node-loader.js';
