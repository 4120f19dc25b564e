import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { PeerIdentity } from '../trust/peer-identity.js';

/** Bytes of a ticket: what a receiver sends first on the piece stream. */
export const TICKET_BYTES = 32;

/** How long a ticket waits for its connection. */
export const TICKET_TTL_MS = 10_000;

/** What a ticket was issued for: who may redeem it, and what it streams. */
export interface StreamGrant<T> {
  /** The certificate identity that asked; undefined on a plaintext server, where nobody is identified. */
  readonly identity: PeerIdentity | undefined;
  readonly what: T;
}

interface Issued<T> {
  readonly ticket: Buffer;
  readonly grant: StreamGrant<T>;
  readonly expires: number;
}

/**
 * Single-use tickets joining an admitted gRPC call to the piece-stream connection that follows it, so
 * the stream needs no request or access check of its own: a ticket is redeemed once, within
 * TICKET_TTL_MS, and only over a connection whose certificate names the identity it was issued to.
 */
export class StreamTickets<T> {
  private readonly issued = new Map<string, Issued<T>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh ticket for `grant`. */
  issue(grant: StreamGrant<T>): Buffer {
    this.sweep();
    const ticket = randomBytes(TICKET_BYTES);
    this.issued.set(ticket.toString('hex'), { ticket, grant, expires: this.now() + TICKET_TTL_MS });
    return ticket;
  }

  /**
   * The grant behind `ticket` when it is live and `identity` (the connection's certificate) is the one
   * it was issued to; it is spent either way, so a guessed or stolen ticket gets one try.
   */
  redeem(ticket: Buffer, identity: PeerIdentity | undefined): StreamGrant<T> | undefined {
    const key = ticket.toString('hex');
    const entry = this.issued.get(key);
    if (entry === undefined) return undefined;
    this.issued.delete(key);
    if (entry.expires < this.now() || !timingSafeEqual(entry.ticket, ticket)) return undefined;
    const { identity: owner } = entry.grant;
    if (owner !== undefined && (owner.role !== identity?.role || owner.name !== identity.name)) {
      return undefined;
    }
    return entry.grant;
  }

  /** Tickets not redeemed yet (expired ones go at the next issue). */
  get outstanding(): number {
    return this.issued.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.issued) if (entry.expires < now) this.issued.delete(key);
  }
}
