import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Buckets, encodeMessage } from '../../../shared/control/index.js';
import { startLocalFleet, type LocalFleet } from '../../helpers/local-fleet.js';
import { startCli, type RunningCli } from '../../helpers/run-cli.js';
import { runState } from '../../shared/control/control-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
// Markup a node cannot send in a name (NODE_NAME forbids it), but a run record's problem text carries
// whatever a report said: the page must show it as text.
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'">';

/** The text of one cell of a table row, as the browser shows it. */
function cell(page: Page, table: string, node: string, field: string): Promise<string> {
  return page
    .locator(`#${table} tr[data-node="${node}"] td[data-field="${field}"]`)
    .innerText({ timeout: 5_000 });
}

/** Waits until the cell reads `expected`, polling the live page (bounded). */
async function waitForCell(
  page: Page,
  table: string,
  node: string,
  field: string,
  expected: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await cell(page, table, node, field).catch(() => '(no row)');
    if (last === expected) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${table} ${node} ${field}: ${last}, not ${expected}, after ${timeoutMs} ms`);
}

describe('airlift serve: dashboard in a browser over a real fleet', { timeout: 180_000 }, () => {
  let fleet: LocalFleet | undefined;
  let serve: RunningCli | undefined;
  let browser: Browser | undefined;
  // Not makeTempDir: that one is removed at exit whatever happened, and a failed run keeps its screenshot.
  const shots = mkdtempSync('/tmp/airlift-dashboard-shots-');
  let base = '';
  let failed = false;

  before(async () => {
    fleet = await startLocalFleet(
      [
        { name: 'node-a', runtime: 'containerd' },
        { name: 'node-b', runtime: 'containerd' },
      ],
      { heartbeatMs: 500 },
    );
    const runs = await fleet.bus.kv(Buckets.runs, { history: 64 });
    const run = runState(['node-a', 'node-b'], { runId: 'r20260101-000000-dash', phase: 'distributing' });
    const nodeB = run.nodes['node-b'];
    assert.ok(nodeB !== undefined);
    run.nodes['node-b'] = { ...nodeB, status: 'failed', bytesDone: 1024, problem: HOSTILE };
    await runs.put(run.runId, encodeMessage(run));
    serve = startCli(['serve', ...fleet.coordinatorArgs, '--listen', '127.0.0.1:0']);
    await serve.waitForOutput(/dashboard on http:\/\/127\.0\.0\.1:\d+\//, 30_000);
    const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(serve.stdout())?.[1];
    assert.ok(url !== undefined, serve.stdout());
    base = url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (serve !== undefined) {
      serve.signal('SIGTERM');
      await serve.exited(15_000).catch(() => undefined);
    }
    await fleet?.stop();
    // Screenshots stay for a failed run (their path is in the failure message), else go.
    if (!failed) rmSync(shots, { recursive: true, force: true });
  });

  it('shows both agents ready, the run, then a stopped agent as down; /metrics and /healthz agree', async (t) => {
    assert.ok(browser !== undefined && fleet !== undefined);
    const page = await browser.newPage();
    const shot = join(shots, 'dashboard.png');
    try {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      await page.goto(`${base}/`, { timeout: 15_000 });
      for (const node of ['node-a', 'node-b']) {
        await waitForCell(page, 'agents', node, 'health', 'healthy', 15_000);
        assert.equal(await cell(page, 'agents', node, 'state'), 'ready');
        assert.match(await cell(page, 'agents', node, 'runtime'), /^containerd /);
      }
      assert.equal(await page.locator('#run-id').innerText(), 'r20260101-000000-dash');
      assert.equal(await page.locator('#run-phase').innerText(), 'distributing');
      assert.equal(await cell(page, 'run-nodes', 'node-b', 'problem'), HOSTILE);
      assert.equal(await page.locator('#run-nodes img').count(), 0, 'the problem text is not markup');
      assert.notEqual(await page.title(), 'pwned');
      assert.match(await page.locator('#failures').innerText(), /UNKNOWN: 1/);

      await fleet.stopAgent('node-b');
      await waitForCell(page, 'agents', 'node-b', 'health', 'down', 20_000);
      assert.equal(await cell(page, 'agents', 'node-b', 'state'), 'unknown');
      assert.equal(await cell(page, 'agents', 'node-a', 'health'), 'healthy');
      await page.screenshot({ path: shot, fullPage: true });
      assert.deepEqual(errors, [], 'no script errors and no CSP violations');

      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^airlift_serve_agents\{health="healthy"\} 1$/m);
      assert.match(metrics, /^airlift_serve_agents\{health="down"\} 1$/m);
      assert.match(metrics, /^airlift_serve_run_phase\{phase="distributing"\} 1$/m);
      assert.match(metrics, /^airlift_serve_node_bytes_done\{node="node-b"\} 1024$/m);
      assert.match(metrics, /^airlift_serve_node_failures_total\{class="UNKNOWN"\} 1$/m);
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { ok: true });
    } catch (err) {
      failed = true;
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      t.diagnostic(`screenshot kept at ${shot}`);
      throw new Error(
        `${(err as Error).message}\nscreenshot: ${shot}\nserve stderr:\n${serve?.stderr() ?? ''}`,
        {
          cause: err,
        },
      );
    } finally {
      await page.close();
    }
  });

  it('exits 0 on SIGTERM, and the port is closed', async () => {
    assert.ok(serve !== undefined);
    serve.signal('SIGTERM');
    const run = await serve.exited(15_000);
    serve = undefined;
    assert.equal(run.exitCode, 0, run.stderr);
    await assert.rejects(fetch(`${base}/healthz`));
  });
});
