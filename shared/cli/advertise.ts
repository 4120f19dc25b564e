import { hostname } from 'node:os';

/** The address to tell others for a bound `host:port`: a wildcard bind is offered as this host's name. */
export function advertisedAddress(bound: string): string {
  const at = bound.lastIndexOf(':');
  const host = bound.slice(0, at);
  return host === '0.0.0.0' || host === '[::]' || host === '::'
    ? `${hostname()}:${bound.slice(at + 1)}`
    : bound;
}
