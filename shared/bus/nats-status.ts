import type { Status } from '@nats-io/transport-node';
import type { Logger } from 'pino';

import type { BusStatus } from './bus.js';

/** The bus status for a client status event; undefined for events callers need not see. */
export function mapStatus(status: Status): BusStatus | undefined {
  switch (status.type) {
    case 'disconnect':
      return 'disconnected';
    case 'reconnecting':
      return 'reconnecting';
    case 'reconnect':
      return 'reconnected';
    case 'close':
      return 'closed';
    default:
      return undefined;
  }
}

/** Logs a client status event at the level it deserves. */
export function logStatus(log: Logger, scheme: string, status: Status): void {
  switch (status.type) {
    case 'disconnect':
      log.warn({ server: `${scheme}://${status.server}` }, 'disconnected from NATS; reconnecting');
      break;
    case 'reconnect':
      log.info({ server: `${scheme}://${status.server}` }, 'reconnected to NATS');
      break;
    case 'reconnecting':
      log.debug('trying to reconnect to NATS');
      break;
    case 'error':
      log.warn({ err: status.error.message }, 'NATS server reported an error');
      break;
    case 'ldm':
      log.warn({ server: status.server }, 'NATS server is shutting down (lame duck mode)');
      break;
    case 'staleConnection':
      log.warn('NATS connection went stale (no pong); reconnecting');
      break;
    case 'slowConsumer':
      log.warn({ subject: status.sub.getSubject(), pending: status.pending }, 'slow subscriber');
      break;
    case 'close':
      log.debug('NATS connection closed');
      break;
    default:
      log.trace({ status: status.type }, 'NATS status');
  }
}
