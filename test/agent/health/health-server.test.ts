import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AgentMetrics,
  HealthListenError,
  HealthServer,
  type AgentHealthView,
  type ServedTotals,
} from '../../../agent/health/index.js';
import { NODE_PHASES } from '../../../shared/control/index.js';
import { silentLogger } from '../../../shared/logging/index.js';

/** A healthy, idle agent's view; tests change fields of a copy. */
function healthyView(): AgentHealthView {
  return {
    state: 'ready',
    busConnected: true,
    heartbeatAgeMs: 2_000,
    runtime: { ageMs: 1_000, ok: true },
    refusalsTotal: 0,
    job: undefined,
    received: { bytes: 0, pieces: 0, corruptPieces: 0 },
    lastJob: undefined,
  };
}

/** The value of one sample line (`name{labels} value`) in the text format; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function get(base: string, path: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

describe('HealthServer', { timeout: 10_000 }, () => {
  let view = healthyView();
  let served: ServedTotals = { bytes: 0, fetches: 0 };
  const server = new HealthServer({
    address: '127.0.0.1:0',
    view: () => view,
    metrics: new AgentMetrics({ view: () => view, served: () => served }),
    logger: silentLogger(),
    runtimeStaleMs: 30_000,
  });
  let base = '';

  before(async () => {
    const address = await server.start();
    assert.match(address, /^127\.0\.0\.1:\d+$/);
    base = `http://${address}`;
  });
  after(() => server.stop());

  it('/healthz says 200 with the state when running, connected and the runtime answered recently', async () => {
    view = healthyView();
    const res = await get(base, '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.type, /application\/json/);
    assert.deepEqual(JSON.parse(res.body), { ok: true, state: 'ready' });
  });

  it('/healthz says 503 with the reason when NATS is down, the runtime is stale or failed, or draining', async () => {
    const cases: [Partial<AgentHealthView>, RegExp][] = [
      [{ busConnected: false }, /control plane/],
      [{ runtime: { ageMs: 31_000, ok: true } }, /runtime last answered 31 s ago/],
      [{ runtime: { ageMs: 10, ok: false } }, /did not answer/],
      [{ runtime: undefined }, /not answered yet/],
      [{ state: 'draining' }, /draining/],
    ];
    for (const [change, reason] of cases) {
      view = { ...healthyView(), ...change };
      const res = await get(base, '/healthz');
      assert.equal(res.status, 503, JSON.stringify(change));
      const body = JSON.parse(res.body) as { ok: boolean; reason: string };
      assert.equal(body.ok, false);
      assert.match(body.reason, reason);
    }
  });

  it('/healthz stays 200 for a busy agent whose runtime answered well long ago (no probes during a job)', async () => {
    view = { ...healthyView(), state: 'busy', runtime: { ageMs: 600_000, ok: true } };
    assert.equal((await get(base, '/healthz')).status, 200);
  });

  it('/metrics reports the view, and the values follow what the agent counted', async () => {
    view = healthyView();
    served = { bytes: 0, fetches: 0 };
    const before = await get(base, '/metrics');
    assert.equal(before.status, 200);
    assert.match(before.type, /text\/plain/);
    assert.equal(sample(before.body, 'airlift_agent_heartbeat_age_seconds'), 2);
    assert.equal(sample(before.body, 'airlift_agent_runtime_up'), 1);
    assert.equal(sample(before.body, 'airlift_agent_control_plane_up'), 1);
    assert.equal(sample(before.body, 'airlift_agent_job_refusals_total'), 0);
    assert.equal(sample(before.body, 'airlift_agent_received_bytes_total'), 0);
    assert.equal(sample(before.body, 'airlift_agent_job_phase{phase="idle"}'), 1);
    assert.equal(sample(before.body, 'airlift_agent_job_phase{phase="loading"}'), 0);
    assert.equal(sample(before.body, 'airlift_agent_last_job_duration_seconds'), -1);
    assert.equal(sample(before.body, 'airlift_agent_job_duration_seconds'), 0);
    assert.equal(sample(before.body, 'airlift_agent_served_pieces_total'), 0);
    // Every phase of the wire's list has a series, so a new phase shows up without a change here.
    for (const phase of NODE_PHASES) {
      assert.equal(sample(before.body, `airlift_agent_job_phase{phase="${phase}"}`), 0, phase);
    }
    assert.match(before.body, /# TYPE airlift_agent_received_bytes_total counter/);

    view = {
      ...healthyView(),
      state: 'busy',
      runtime: { ageMs: 1_000, ok: false },
      refusalsTotal: 3,
      job: { phase: 'loading', bytesDone: 4096, seconds: 7.25 },
      received: { bytes: 1 << 20, pieces: 4, corruptPieces: 1 },
      lastJob: { ok: true, seconds: 12.5 },
    };
    served = { bytes: 2048, fetches: 2, pieces: 5, refused: 1 };
    const after = (await get(base, '/metrics')).body;
    assert.equal(sample(after, 'airlift_agent_runtime_up'), 0);
    assert.equal(sample(after, 'airlift_agent_job_refusals_total'), 3);
    assert.equal(sample(after, 'airlift_agent_received_bytes_total'), 1 << 20);
    assert.equal(sample(after, 'airlift_agent_received_pieces_total'), 4);
    assert.equal(sample(after, 'airlift_agent_corrupt_pieces_total'), 1);
    assert.equal(sample(after, 'airlift_agent_served_bytes_total'), 2048);
    assert.equal(sample(after, 'airlift_agent_served_fetches_total'), 2);
    assert.equal(sample(after, 'airlift_agent_served_pieces_total'), 5);
    assert.equal(sample(after, 'airlift_agent_data_plane_refusals_total'), 1);
    assert.equal(sample(after, 'airlift_agent_job_duration_seconds'), 7.25);
    assert.equal(sample(after, 'airlift_agent_job_phase{phase="idle"}'), 0);
    assert.equal(sample(after, 'airlift_agent_job_phase{phase="loading"}'), 1);
    assert.equal(sample(after, 'airlift_agent_job_bytes_done'), 4096);
    assert.equal(sample(after, 'airlift_agent_last_job_duration_seconds'), 12.5);
    assert.equal(sample(after, 'airlift_agent_last_job_ok'), 1);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    assert.equal((await get(base, '/')).status, 404);
    assert.equal((await get(base, '/metrics/x')).status, 404);
    assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
  });
});

describe('HealthServer lifecycle', { timeout: 10_000 }, () => {
  const make = (address: string): HealthServer =>
    new HealthServer({
      address,
      view: healthyView,
      metrics: new AgentMetrics({ view: healthyView }),
      logger: silentLogger(),
    });

  it('stop() is idempotent and closes the port', async () => {
    const server = make('127.0.0.1:0');
    const address = await server.start();
    assert.equal((await fetch(`http://${address}/healthz`)).status, 200);
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    await assert.rejects(fetch(`http://${address}/healthz`));
  });

  it('stop() before start() does nothing', async () => {
    await make('127.0.0.1:0').stop();
  });

  it('a port in use or a bad address fails start() with HealthListenError naming the flag', async () => {
    const first = make('127.0.0.1:0');
    const address = await first.start();
    try {
      await assert.rejects(make(address).start(), (err: unknown) => {
        assert.ok(err instanceof HealthListenError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /--metrics-listen/);
        return true;
      });
      await assert.rejects(make('no-port').start(), HealthListenError);
    } finally {
      await first.stop();
    }
  });

  it('two agents in one process keep separate registries', async () => {
    const a = new AgentMetrics({ view: () => ({ ...healthyView(), refusalsTotal: 5 }) });
    const b = new AgentMetrics({ view: healthyView });
    assert.equal(sample(await a.text(), 'airlift_agent_job_refusals_total'), 5);
    assert.equal(sample(await b.text(), 'airlift_agent_job_refusals_total'), 0);
  });
});
