import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';

import { connectBus } from '../../../shared/bus/index.js';
import {
  BusAuthError,
  BusUnavailableError,
  ConfigInvalidError,
  ErrorCode,
} from '../../../shared/errors/index.js';
import { Secret } from '../../../shared/reference/secret.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { startNats } from '../../helpers/nats-instance.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { capturedLogger, str, text, unusedPort } from './bus-test-kit.js';

const PASSWORD = 'Corr3ct-Horse-Battery';
const WRONG = 'Wr0ng-Horse-Staple';

/** Asserts that neither the error, however it is printed, nor the log mentions any of the secrets. */
function assertNoSecret(err: unknown, logText: string, secrets: readonly string[]): void {
  const renderings = [
    String(err),
    err instanceof Error ? (err.stack ?? '') : '',
    JSON.stringify([err]),
    inspect(err, { depth: 10 }),
    logText,
  ];
  for (const secret of secrets) {
    for (const rendering of renderings)
      assert.ok(!rendering.includes(secret), `secret leaked into: ${rendering}`);
  }
}

void describe('NATS bus: user/password and token', { timeout: 60_000 }, () => {
  let nats: NatsInstance;
  before(async () => {
    nats = await startNats({ user: 'airlift', password: PASSWORD });
  });
  after(async () => {
    await nats.stop();
  });

  void it('connects with the right password', async () => {
    const log = capturedLogger();
    const bus = await connectBus(
      { servers: [nats.url], user: 'airlift', password: new Secret(PASSWORD) },
      log.logger,
    );
    try {
      bus.subscribe('auth.echo', (message) => message.respond(message.data));
      assert.equal(str(await bus.request('auth.echo', text('ok'), 2_000)), 'ok');
    } finally {
      await bus.drain();
    }
    assertNoSecret(undefined, log.text(), [PASSWORD]);
  });

  void it('rejects a wrong password with a clear message that names neither password', async () => {
    const log = capturedLogger();
    const err = await expectAirliftRejection(
      connectBus({ servers: [nats.url], user: 'airlift', password: new Secret(WRONG) }, log.logger),
      BusAuthError,
      ErrorCode.BusAuthFailed,
      [nats.url, 'refused the credentials', 'password'],
    );
    assertNoSecret(err, log.text(), [WRONG, PASSWORD]);
  });

  void it('gives up on a wrong password even when waiting for the first connect', async () => {
    const err = await expectAirliftRejection(
      connectBus({
        servers: [nats.url],
        user: 'airlift',
        password: new Secret(WRONG),
        waitOnFirstConnect: true,
        reconnectTimeWaitMs: 100,
      }),
      BusAuthError,
      ErrorCode.BusAuthFailed,
      [nats.url],
    );
    assertNoSecret(err, '', [WRONG]);
  });

  void it('keeps a password given inside a server URL out of messages', async () => {
    const url = nats.url.replace('nats://', `nats://airlift:${WRONG}@`);
    const err = await expectAirliftRejection(
      connectBus({ servers: [url] }),
      BusAuthError,
      ErrorCode.BusAuthFailed,
      [nats.url],
    );
    assertNoSecret(err, '', [WRONG]);
  });

  void it('refuses half or mixed credentials before connecting', async () => {
    await expectAirliftRejection(
      connectBus({ servers: [nats.url], user: 'airlift' }),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      ['password'],
    );
    await expectAirliftRejection(
      connectBus({ servers: [nats.url], user: 'a', password: new Secret('b'), token: new Secret('c') }),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      ['one of'],
    );
    await expectAirliftRejection(connectBus({ servers: [] }), ConfigInvalidError, ErrorCode.ConfigInvalid, [
      'servers',
    ]);
  });

  void it('says which creds file cannot be read', async () => {
    const missing = join(nats.dir, 'missing.creds');
    await expectAirliftRejection(
      connectBus({ servers: [nats.url], credsFile: missing }),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      [missing, 'creds file'],
    );
  });
});

void describe('NATS bus: token', { timeout: 30_000 }, () => {
  const TOKEN = 's3cret-T0ken-value';
  let nats: NatsInstance;
  before(async () => {
    nats = await startNats({ token: TOKEN, jetstream: false });
  });
  after(async () => {
    await nats.stop();
  });

  void it('connects with the token and rejects another without naming either', async () => {
    const bus = await connectBus({ servers: [nats.url], token: new Secret(TOKEN) });
    await bus.flush();
    await bus.drain();
    const log = capturedLogger();
    const err = await expectAirliftRejection(
      connectBus({ servers: [nats.url], token: new Secret('not-the-token') }, log.logger),
      BusAuthError,
      ErrorCode.BusAuthFailed,
      ['token'],
    );
    assertNoSecret(err, log.text(), [TOKEN, 'not-the-token']);
  });
});

void describe('NATS bus: no server', { timeout: 30_000 }, () => {
  void it('fails at once naming the servers and what to check', async () => {
    const port = await unusedPort();
    const url = `nats://127.0.0.1:${port}`;
    const started = Date.now();
    const err = await expectAirliftRejection(
      connectBus({ servers: [url], connectTimeoutMs: 1_000 }),
      BusUnavailableError,
      ErrorCode.BusUnavailable,
      [url, 'cannot connect', 'nats-server'],
    );
    assert.deepEqual(err.servers, [url]);
    assert.ok(Date.now() - started < 5_000);
  });

  void it('waits for a server that starts later when asked to', async () => {
    const port = await unusedPort();
    const connecting = connectBus({
      servers: [`nats://127.0.0.1:${port}`],
      waitOnFirstConnect: true,
      reconnectTimeWaitMs: 100,
    });
    let nats: NatsInstance | undefined;
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      nats = await startNats({ port, jetstream: false });
      const bus = await connecting;
      assert.equal(bus.server, nats.url);
      await bus.drain();
    } finally {
      await nats?.stop();
    }
  });
});

void describe('NATS bus: TLS', { timeout: 60_000 }, () => {
  let nats: NatsInstance;
  before(async () => {
    nats = await startNats({ tls: true, jetstream: false });
  });
  after(async () => {
    await nats.stop();
  });

  void it('connects to a server addressed by IP with the CA that signed its certificate', async () => {
    assert.ok(nats.tls !== undefined);
    const bus = await connectBus({ servers: [nats.url], tls: { caFile: nats.tls.caFile } });
    try {
      assert.equal(bus.server, nats.url);
      bus.subscribe('tls.echo', (message) => message.respond(message.data));
      assert.equal(str(await bus.request('tls.echo', text('over tls'), 2_000)), 'over tls');
    } finally {
      await bus.drain();
    }
  });

  void it('refuses a server whose certificate it cannot verify', async () => {
    const err = await expectAirliftRejection(
      connectBus({ servers: [nats.url], connectTimeoutMs: 2_000 }),
      BusUnavailableError,
      ErrorCode.BusUnavailable,
      [nats.url, 'cannot connect'],
    );
    assert.match(err.message, /certificate/i);
  });

  void it('refuses a certificate signed by another CA', async () => {
    const other = await startNats({ tls: true, jetstream: false });
    try {
      assert.ok(other.tls !== undefined);
      await expectAirliftRejection(
        connectBus({ servers: [nats.url], tls: { caFile: other.tls.caFile }, connectTimeoutMs: 2_000 }),
        BusUnavailableError,
        ErrorCode.BusUnavailable,
        ['cannot connect'],
      );
    } finally {
      await other.stop();
    }
  });
});
