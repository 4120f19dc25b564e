import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  DASHBOARD_HTML,
  DashboardService,
  ServeListenError,
  type DashboardSnapshot,
} from '../../../coordinator/serve/index.js';
import type { KvStore } from '../../../shared/bus/bus.js';
import { Buckets, encodeMessage, type Heartbeat } from '../../../shared/control/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { seal } from '../../../shared/trust/index.js';
import { MemoryNats, type MemoryBus } from '../../helpers/memory-bus.js';
import { TestKeys } from '../../helpers/test-keys.js';
import { heartbeat, runState } from '../../shared/control/control-fixtures.js';

/** Reads `snapshot` events off an open /events response until one satisfies `until` (bounded). */
class EventReader {
  private buffer = '';
  readonly comments: string[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(res: Response) {
    assert.ok(res.body !== null);
    this.reader = res.body.getReader();
  }

  async next(until: (s: DashboardSnapshot) => boolean, timeoutMs = 5_000): Promise<DashboardSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (block.startsWith(':')) this.comments.push(block);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: snapshot$/m.test(block) && data !== undefined) {
          const snapshot = JSON.parse(data) as DashboardSnapshot;
          if (until(snapshot)) return snapshot;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching snapshot in ${timeoutMs} ms`);
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            reject(new Error(`no matching snapshot in ${timeoutMs} ms`));
          }, left).unref(),
        ),
      ]);
      if (chunk.done) throw new Error('the event stream ended');
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

describe('DashboardService on the in-memory bus', { timeout: 20_000 }, () => {
  let nats: MemoryNats;
  let bus: MemoryBus;
  let fleetKv: KvStore;
  let runsKv: KvStore;
  let keys: TestKeys;
  let service: DashboardService;
  let base: string;
  const announce = (hb: Heartbeat, signer = hb.node): Promise<number> =>
    fleetKv.put(hb.node, seal('heartbeat', hb, keys.agentTrust(signer).sealer));

  beforeEach(async () => {
    nats = new MemoryNats();
    bus = nats.connect('serve');
    keys = new TestKeys();
    const agents = nats.connect('agents');
    fleetKv = await agents.kv(Buckets.fleet);
    runsKv = await agents.kv(Buckets.runs);
    await announce(heartbeat({ node: 'node-a' }));
    service = new DashboardService({
      listen: '127.0.0.1:0',
      connect: () => Promise.resolve(bus),
      policy: keys.coordinatorTrust().policy,
      logger: silentLogger(),
      timing: { minIntervalMs: 50, refreshMs: 200, keepAliveMs: 100 },
    });
    base = `http://${await service.start()}`;
  });
  afterEach(() => service.stop());

  it('streams a snapshot on connect, then updates: new agents, forged entries left out, the run', async () => {
    const res = await fetch(`${base}/events`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = new EventReader(res);
    const first = await events.next(() => true);
    assert.equal(first.live, true);
    assert.deepEqual(
      first.agents.map((a) => [a.node, a.health, a.state]),
      [['node-a', 'healthy', 'ready']],
    );
    // node-c's entry signed by node-a: the registry's check drops it.
    await announce(heartbeat({ node: 'node-c' }), 'node-a');
    await announce(heartbeat({ node: 'node-b', state: 'busy' }));
    const two = await events.next((s) => s.agents.length === 2);
    assert.deepEqual(
      two.agents.map((a) => a.node),
      ['node-a', 'node-b'],
    );
    await runsKv.put(
      'r1',
      encodeMessage(runState(['node-a', 'node-b'], { runId: 'r1', phase: 'distributing' })),
    );
    const withRun = await events.next((s) => s.run !== undefined);
    assert.equal(withRun.run?.phase, 'distributing');
    assert.deepEqual(
      withRun.run.nodes.map((n) => n.node),
      ['node-a', 'node-b'],
    );
    // Keep-alive comments keep flowing between updates.
    await events.next(() => events.comments.length > 0);
    await events.cancel();
  });

  it('/healthz says 200 while connected and watching, 503 during an outage; /metrics follows the model', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    bus.disconnect();
    const down = await fetch(`${base}/healthz`);
    assert.equal(down.status, 503);
    assert.match(((await down.json()) as { reason: string }).reason, /NATS/);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /airlift_serve_control_plane_up 0/);
    bus.reconnect();
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /airlift_serve_agents\{health="healthy"\} 1/);
  });

  it('serves the page with a strict CSP and no data in it; 404 elsewhere, 405 for writes', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await page.text();
    assert.equal(html, DASHBOARD_HTML);
    assert.doesNotMatch(html, /node-a/);
    assert.doesNotMatch(html, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    assert.doesNotMatch(html, /(src|href)="?(https?:)?\/\//, 'no external resources');
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
  });

  it('stop() is idempotent, ends open event streams and closes the port', async () => {
    const events = new EventReader(await fetch(`${base}/events`));
    await events.next(() => true);
    await Promise.all([service.stop(), service.stop()]);
    await assert.rejects(
      events.next(() => false, 2_000),
      /ended|terminated|no matching/,
    );
    await assert.rejects(fetch(`${base}/healthz`));
  });
});

describe('DashboardService start-up', { timeout: 10_000 }, () => {
  it('a taken address fails start() with ServeListenError naming --listen', async () => {
    const make = (listen: string): DashboardService =>
      new DashboardService({
        listen,
        connect: () => Promise.resolve(new MemoryNats().connect()),
        policy: { kind: 'insecure' },
        logger: silentLogger(),
      });
    const first = make('127.0.0.1:0');
    const address = await first.start();
    const second = make(address);
    try {
      await assert.rejects(second.start(), (err: unknown) => {
        assert.ok(err instanceof ServeListenError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /--listen/);
        return true;
      });
    } finally {
      await second.stop();
      await first.stop();
    }
  });

  it('stop() while waiting for NATS ends the wait; /healthz says 503 until connected', async () => {
    let connectSignal: AbortSignal | undefined;
    const service = new DashboardService({
      listen: '127.0.0.1:0',
      connect: (signal) =>
        new Promise((_, reject) => {
          connectSignal = signal;
          signal.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
        }),
      policy: { kind: 'insecure' },
      logger: silentLogger(),
    });
    const started = service.start();
    started.catch(() => undefined);
    for (let i = 0; i < 100 && connectSignal === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(connectSignal !== undefined);
    const health = await fetch(`http://${service.address ?? ''}/healthz`);
    assert.equal(health.status, 503);
    await service.stop();
    await assert.rejects(started, /stopping/);
  });
});
