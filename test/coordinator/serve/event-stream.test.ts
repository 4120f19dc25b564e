import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EventStream } from '../../../coordinator/serve/index.js';

/** Waits until `check` holds, polling (bounded). */
async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('EventStream', { timeout: 15_000 }, () => {
  let server: Server;
  let stream: EventStream;
  let version = 0;
  let url = '';

  beforeEach(async () => {
    version = 0;
    stream = new EventStream(() => ({ version }), {
      minIntervalMs: 250,
      refreshMs: 60_000,
      keepAliveMs: 60_000,
    });
    server = createServer((req, res) => {
      stream.open(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    stream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Collects the `version` of every snapshot event an open stream delivers. */
  async function listen(): Promise<{ versions: number[]; cancel: () => Promise<void> }> {
    const res = await fetch(url);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.ok(res.body !== null);
    const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
    const versions: number[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch {
          return;
        }
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        for (const match of buffer.matchAll(/^data: (.*)$/gm)) {
          versions.push((JSON.parse(match[1] ?? '{}') as { version: number }).version);
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      }
    })();
    return { versions, cancel: () => reader.cancel() };
  }

  it('sends a snapshot on connect, then at most one update per interval, ending with the latest', async () => {
    const client = await listen();
    await until(() => client.versions.length === 1);
    assert.deepEqual(client.versions, [0]);
    const started = performance.now();
    for (let i = 1; i <= 20; i++) {
      version = i;
      stream.changed();
      await sleep(10);
    }
    const elapsed = performance.now() - started;
    // The first change goes out at once, then at most one per 250 ms, the last one included.
    await until(() => client.versions.at(-1) === 20);
    const updates = client.versions.length - 1;
    assert.ok(
      updates <= Math.ceil(elapsed / 250) + 1,
      `throttled: ${client.versions.join(',')} in ${elapsed} ms`,
    );
    assert.ok(updates < 10, `fewer updates than changes: ${client.versions.join(',')}`);
    await client.cancel();
  });

  it('drops a client that went away, and close() ends the others', async () => {
    const gone = await listen();
    const stays = await listen();
    await until(() => stream.size === 2);
    await gone.cancel();
    await until(() => stream.size === 1);
    stream.close();
    assert.equal(stream.size, 0);
    await stays.cancel();
  });

  it('sends nothing and keeps no timer when nobody listens', () => {
    stream.changed();
    stream.changed();
    assert.equal(stream.size, 0);
  });
});
