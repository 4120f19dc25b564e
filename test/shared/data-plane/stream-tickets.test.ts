import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { StreamTickets, TICKET_BYTES, TICKET_TTL_MS } from '../../../shared/data-plane/stream-tickets.js';
import type { PeerIdentity } from '../../../shared/trust/peer-identity.js';

const NODE_1: PeerIdentity = { role: 'agent', name: 'node-1' };
const NODE_2: PeerIdentity = { role: 'agent', name: 'node-2' };
const COORDINATOR: PeerIdentity = { role: 'coordinator', name: 'coordinator' };

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('StreamTickets', () => {
  it('issues random 32-byte tickets, each redeemed once for what it was issued', () => {
    const tickets = new StreamTickets<string>();
    const a = tickets.issue({ identity: NODE_1, what: 'fetch a' });
    const b = tickets.issue({ identity: NODE_1, what: 'fetch b' });
    assert.equal(TICKET_BYTES, 32);
    assert.equal(a.length, TICKET_BYTES);
    assert.equal(b.length, TICKET_BYTES);
    assert.notDeepEqual(a, b);
    assert.equal(tickets.outstanding, 2);

    assert.deepEqual(tickets.redeem(b, NODE_1), { identity: NODE_1, what: 'fetch b' });
    assert.equal(tickets.redeem(b, NODE_1), undefined, 'a ticket is good once');
    assert.equal(tickets.redeem(Buffer.from(b), NODE_1), undefined, 'a copy of a spent ticket too');
    assert.equal(tickets.redeem(a, NODE_1)?.what, 'fetch a');
    assert.equal(tickets.outstanding, 0);
  });

  it('knows nothing of a random, altered or short ticket, and leaves the real one live', () => {
    const tickets = new StreamTickets<number>();
    const ticket = tickets.issue({ identity: NODE_1, what: 1 });
    assert.equal(tickets.redeem(randomBytes(TICKET_BYTES), NODE_1), undefined);
    const altered = Buffer.from(ticket);
    altered[TICKET_BYTES - 1] = (altered[TICKET_BYTES - 1] ?? 0) ^ 1;
    assert.equal(tickets.redeem(altered, NODE_1), undefined);
    assert.equal(tickets.redeem(ticket.subarray(0, TICKET_BYTES - 1), NODE_1), undefined);
    assert.equal(tickets.redeem(Buffer.alloc(0), NODE_1), undefined);
    assert.equal(tickets.outstanding, 1);
    assert.equal(tickets.redeem(ticket, NODE_1)?.what, 1);
  });

  it(`expires a ticket ${TICKET_TTL_MS} ms after it was issued, and forgets it`, () => {
    const clock = manualClock();
    const tickets = new StreamTickets<string>(clock.now);
    const early = tickets.issue({ identity: NODE_1, what: 'early' });
    const late = tickets.issue({ identity: NODE_1, what: 'late' });
    clock.advance(TICKET_TTL_MS - 1);
    assert.equal(tickets.redeem(early, NODE_1)?.what, 'early', 'still live just before the TTL');
    clock.advance(2);
    assert.equal(tickets.redeem(late, NODE_1), undefined, 'expired just after the TTL');

    const stale = tickets.issue({ identity: NODE_1, what: 'stale' });
    clock.advance(TICKET_TTL_MS + 1);
    assert.equal(tickets.outstanding, 1);
    const fresh = tickets.issue({ identity: NODE_1, what: 'fresh' });
    assert.equal(tickets.outstanding, 1, 'issuing sweeps expired tickets');
    assert.equal(tickets.redeem(stale, NODE_1), undefined);
    assert.equal(tickets.redeem(fresh, NODE_1)?.what, 'fresh');
  });

  it('redeems a ticket only for the identity it was issued to, and spends it on a wrong try', () => {
    const tickets = new StreamTickets<string>();
    const stolen = tickets.issue({ identity: NODE_1, what: 'x' });
    assert.equal(tickets.redeem(stolen, NODE_2), undefined, 'another agent');
    assert.equal(tickets.redeem(stolen, NODE_1), undefined, 'a stolen ticket gets one try, then it is gone');

    const cases: readonly (PeerIdentity | undefined)[] = [
      NODE_2,
      COORDINATOR,
      // Same name, other role.
      { role: 'agent', name: 'coordinator' },
      undefined,
    ];
    for (const wrong of cases) {
      const forNode1 = tickets.issue({ identity: NODE_1, what: 'n1' });
      assert.equal(tickets.redeem(forNode1, wrong), undefined, JSON.stringify(wrong));
    }
    const forCoordinator = tickets.issue({ identity: COORDINATOR, what: 'c' });
    assert.equal(tickets.redeem(forCoordinator, { role: 'agent', name: 'coordinator' }), undefined);
    const again = tickets.issue({ identity: COORDINATOR, what: 'c' });
    assert.equal(tickets.redeem(again, COORDINATOR)?.what, 'c');
    assert.equal(tickets.outstanding, 0);
  });

  it('on a plaintext server (nobody identified) redeems a ticket issued to no identity', () => {
    const tickets = new StreamTickets<string>();
    const ticket = tickets.issue({ identity: undefined, what: 'plain' });
    assert.deepEqual(tickets.redeem(ticket, undefined), { identity: undefined, what: 'plain' });
    assert.equal(tickets.redeem(ticket, undefined), undefined, 'still single use');
  });
});
