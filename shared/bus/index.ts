export type { Bus, BusMessage, BusStatus, BusSubscription, KvEntry, KvOptions, KvStore } from './bus.js';
export { connectBus } from './nats-bus.js';
export { redactServerUrl, type BusConnectOptions, type BusTlsOptions } from './bus-connect-options.js';
