export { withTimeout, TimeoutError } from './with-timeout.js';
export { TokenBucket, parseRate } from './token-bucket.js';
export { whenAborted } from './abort-fan-out.js';
