export { withTimeout, TimeoutError } from './with-timeout.js';
export { TokenBucket } from './token-bucket.js';
export { whenAborted } from './abort-fan-out.js';
