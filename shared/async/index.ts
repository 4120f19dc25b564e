export { withTimeout, TimeoutError } from './with-timeout.js';
