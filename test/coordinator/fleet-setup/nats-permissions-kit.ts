import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect,
  PermissionViolationError,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';

/** How long a denied message is given to arrive anyway before the test calls it not delivered. */
const DELIVERY_GRACE_MS = 150;
const ERROR_WAIT_MS = 3_000;

/** A client whose permission-violation errors (as the server reported them) are kept for assertions. */
export interface WatchedClient {
  readonly nc: NatsConnection;
  readonly violations: PermissionViolationError[];
  /** Resolves once the server reported a violation of `operation` on `subject`; fails the test after 3 s. */
  violation(operation: 'publish' | 'subscription', subject: string): Promise<void>;
}

/** Connects with `options` (no reconnects, short timeout) and records the server's permission errors. */
export async function watchedClient(options: NodeConnectionOptions): Promise<WatchedClient> {
  const nc = await connect({ ...options, reconnect: false, timeout: 2_000 });
  const violations: PermissionViolationError[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && status.error instanceof PermissionViolationError) {
        violations.push(status.error);
      }
    }
  })();
  return {
    nc,
    violations,
    async violation(operation, subject) {
      const deadline = Date.now() + ERROR_WAIT_MS;
      const seen = (): boolean => violations.some((v) => v.operation === operation && v.subject === subject);
      while (!seen() && Date.now() < deadline) await sleep(20);
      assert.ok(
        seen(),
        `expected a ${operation} permission violation on ${subject}; got ${violations.map((v) => `${v.operation} ${v.subject}`).join(', ') || 'none'}`,
      );
    },
  };
}

/**
 * Asserts `publisher` may not publish on `subject`: the server reports the violation and a subscriber
 * allowed to see everything (`witness`) receives nothing.
 */
export async function assertPublishDenied(
  publisher: WatchedClient,
  witness: NatsConnection,
  subject: string,
): Promise<void> {
  const received: string[] = [];
  const sub = witness.subscribe(subject, {
    callback: (_err, msg) => {
      received.push(msg.subject);
    },
  });
  await witness.flush();
  publisher.nc.publish(subject, 'forged');
  await publisher.nc.flush();
  await publisher.violation('publish', subject);
  await witness.flush();
  await sleep(DELIVERY_GRACE_MS);
  sub.unsubscribe();
  assert.deepEqual(received, [], `a message published on ${subject} was delivered`);
}

/**
 * Asserts `subscriber` may not subscribe to `subject`: the server reports the violation and a message
 * `sender` publishes on `probe` (a subject `subject` matches) never reaches it.
 */
export async function assertSubscribeDenied(
  subscriber: WatchedClient,
  sender: NatsConnection,
  subject: string,
  probe: string,
): Promise<void> {
  const received: string[] = [];
  const sub = subscriber.nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err === null) received.push(msg.subject);
    },
  });
  await subscriber.nc.flush();
  await subscriber.violation('subscription', subject);
  sender.publish(probe, 'secret');
  await sender.flush();
  await sleep(DELIVERY_GRACE_MS);
  sub.unsubscribe();
  assert.deepEqual(received, [], `a subscription to ${subject} received ${probe}`);
}

/**
 * Speaks the NATS protocol in plaintext to a TLS-only server: sends CONNECT and PING and returns what the
 * server said before it hung up (or 2 s passed).
 */
export async function plaintextExchange(port: number): Promise<string> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  let text = '';
  let sent = false;
  return new Promise<string>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, 2_000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!sent && text.includes('\r\n')) {
        sent = true;
        socket.write('CONNECT {"verbose":false,"pedantic":false,"tls_required":false}\r\nPING\r\n');
      }
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}
