export { withTimeout, TimeoutError } from './with-timeout.js';
export { TokenBucket, parseRate } from './token-bucket.js';
