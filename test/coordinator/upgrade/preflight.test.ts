import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import type { KubeTools, ReleaseStatus, ToolRun } from '../../../coordinator/kube/index.js';
import {
  globalImageRegistry,
  preflight,
  type PreflightInput,
} from '../../../coordinator/upgrade/preflight.js';
import type { DataPlaneReachOptions } from '../../../coordinator/upgrade/data-plane-reach.js';
import type { PingOptions } from '../../../shared/data-plane/index.js';
import { CommandNotFoundError, ReleaseNotFoundError } from '../../../shared/errors/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { FleetKit } from './upgrade-kit.js';

const RELEASE: ReleaseStatus = {
  name: 'kairship',
  namespace: 'kairship-system',
  revision: 3,
  status: 'deployed',
  chartName: 'kairship',
  chartVersion: '0.20.0',
};
const GiB = 2 ** 30;

/** helm and kubectl as preflight uses them; each answer can be made to fail. */
function fakeKube(answers: { versions?: Error; release?: Error; values?: string | Error } = {}): {
  kube: KubeTools;
  calls: string[];
} {
  const calls: string[] = [];
  const run = (argv: string[], stdout = ''): ToolRun => ({ argv, stdout, stderr: '', durationMs: 1 });
  const fake = {
    versions: () => {
      calls.push('versions');
      return answers.versions === undefined
        ? Promise.resolve({ helm: 'v3.14.0', kubectl: 'v1.29.0', runs: [] })
        : Promise.reject(answers.versions);
    },
    releaseStatus: (release: string, namespace: string) => {
      calls.push(`status ${release} ${namespace}`);
      return answers.release === undefined
        ? Promise.resolve({ ...run(['helm', 'status']), release: RELEASE })
        : Promise.reject(answers.release);
    },
    getValues: (release: string, namespace: string) => {
      calls.push(`values ${release} ${namespace}`);
      const values = answers.values ?? 'global:\n  imageRegistry: 10.6.0.1:5000\n';
      return typeof values === 'string'
        ? Promise.resolve(run(['helm', 'get'], values))
        : Promise.reject(values);
    },
  };
  return { kube: fake as unknown as KubeTools, calls };
}

/** A data plane on every address, except those in `silent`, which fail as grpc-js does. */
function fakePings(silent: ReadonlySet<string> = new Set()): {
  ping: NonNullable<DataPlaneReachOptions['ping']>;
  calls: { address: string; options: PingOptions }[];
} {
  const calls: { address: string; options: PingOptions }[] = [];
  const ping = (address: string, options: PingOptions): Promise<{ pieceStreamPort?: number }> => {
    calls.push({ address, options });
    if (!silent.has(address)) return Promise.resolve({});
    const err = Object.assign(new Error(`14 UNAVAILABLE: connect ECONNREFUSED ${address}`), {
      code: 14,
      details: `No connection established. Last error: connect ECONNREFUSED ${address}`,
    });
    return Promise.reject(err);
  };
  return { ping, calls };
}

describe('preflight', { timeout: 10_000 }, () => {
  let kit: FleetKit;
  let fleet: FleetRegistry;
  let pings: ReturnType<typeof fakePings>;
  beforeEach(async () => {
    kit = await new FleetKit().open();
    fleet = await FleetRegistry.open(kit.coordinator, kit.keys.coordinatorTrust().policy);
    pings = fakePings();
  });

  const check = (kube: KubeTools, overrides: Partial<PreflightInput> = {}) =>
    preflight({
      fleet,
      kube,
      release: 'kairship',
      namespace: 'kairship-system',
      nodes: 'all',
      requiredDiskBytes: 10 * GiB,
      dataPlane: { tls: undefined, ping: pings.ping },
      signal: new AbortController().signal,
      logger: silentLogger(),
      ...overrides,
    });

  it('passes a healthy fleet and reads the registry from the release values', async () => {
    await kit.beat('node-b');
    await kit.beat('node-a');
    const { kube, calls } = fakeKube();
    const result = await check(kube);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.targets.map((t) => t.node),
      ['node-a', 'node-b'],
    );
    assert.equal(result.imageRegistry, '10.6.0.1:5000');
    assert.equal(result.registrySource, 'release values');
    assert.deepEqual(result.release, RELEASE);
    assert.deepEqual(calls, [
      'versions',
      'status kairship kairship-system',
      'values kairship kairship-system',
    ]);
  });

  it("pings each healthy target's advertised data plane, expecting its certificate", async () => {
    await kit.beat('node-a', { grpcAddress: '10.0.0.1:7481' });
    await kit.beat('node-b', { grpcAddress: '10.0.0.2:7481' });
    await kit.beat('node-stale', {
      grpcAddress: '10.0.0.3:7481',
      intervalMs: 1000,
      sentAt: new Date(Date.now() - 5000).toISOString(),
    });
    const tls = { ca: 'ca', cert: 'cert', key: 'key' };
    const result = await check(fakeKube().kube, { dataPlane: { tls, ping: pings.ping } });
    assert.deepEqual(
      result.failures.map((f) => `${f.check} ${f.node ?? '-'}`),
      ['agent node-stale'],
      'a stale agent fails as such, and is not dialled',
    );
    assert.deepEqual(pings.calls.map((c) => c.address).sort(), ['10.0.0.1:7481', '10.0.0.2:7481']);
    for (const { address, options } of pings.calls) {
      assert.equal(options.tls, tls);
      assert.equal(options.expectedPeer, address === '10.0.0.1:7481' ? 'node-a' : 'node-b');
      assert.equal(options.timeoutMs, 3000);
    }
  });

  it('fails each agent whose data plane does not answer, naming node, address and what to check', async () => {
    await kit.beat('node-a', { grpcAddress: '10.0.0.1:7481' });
    await kit.beat('node-b', { grpcAddress: '192.168.1.9:17481' });
    const silent = fakePings(new Set(['192.168.1.9:17481']));
    const result = await check(fakeKube().kube, {
      dataPlane: { tls: undefined, ping: silent.ping, timeoutMs: 500 },
    });
    assert.deepEqual(result.failures, [
      {
        check: 'data-plane',
        node: 'node-b',
        message:
          'its data plane at 192.168.1.9:17481 does not answer (No connection established. Last error: ' +
          "connect ECONNREFUSED 192.168.1.9:17481): check the agent's --grpc-advertise and that port " +
          '17481 is open from the spark node, where airlift upgrade runs',
      },
    ]);
    assert.ok(silent.calls.every((c) => c.options.timeoutMs === 500 && c.options.tls === undefined));
  });

  it('takes the registry from the flag over the release values, without reading them', async () => {
    await kit.beat('node-a');
    const { kube, calls } = fakeKube();
    const result = await check(kube, { imageRegistry: 'registry.local:5000' });
    assert.equal(result.imageRegistry, 'registry.local:5000');
    assert.equal(result.registrySource, 'flag');
    assert.ok(!calls.some((c) => c.startsWith('values')));
  });

  it('collects every failure at once, each with its node', async () => {
    const old = (beats: number): string => new Date(Date.now() - beats * 1000).toISOString();
    await kit.beat('node-ok');
    await kit.beat('node-stale', { intervalMs: 1000, sentAt: old(5) });
    await kit.beat('node-busy', {
      state: 'busy',
      job: { jobId: 'job-7', runId: 'r7', phase: 'loading', bytesDone: 1, bytesTotal: 2, startedAt: old(1) },
    });
    await kit.beat('node-noruntime', {
      runtime: {
        kind: 'docker',
        version: 'unknown',
        endpoint: 'unreachable',
        ok: false,
        error: 'connect ENOENT',
      },
    });
    await kit.beat('node-full', {
      disk: { path: '/var/lib/containerd', freeBytes: GiB, totalBytes: 100 * GiB },
    });
    const { kube } = fakeKube({
      versions: new CommandNotFoundError('helm'),
      release: new ReleaseNotFoundError('kairship', 'kairship-system', 'helm status kairship'),
    });
    const result = await check(kube, { imageRegistry: '10.6.0.1' });
    const summary = result.failures.map((f) => `${f.check} ${f.node ?? '-'}: ${f.message}`);
    assert.equal(summary.length, 6, summary.join('\n'));
    assert.match(summary[0] ?? '', /^agent node-busy: agent is busy with job job-7$/);
    assert.match(
      summary[1] ?? '',
      /^disk node-full: 1.0 GiB free under \/var\/lib\/containerd, needs 10.0 GiB$/,
    );
    assert.match(summary[2] ?? '', /^runtime node-noruntime: docker does not answer: connect ENOENT$/);
    assert.match(
      summary[3] ?? '',
      /^agent node-stale: agent is stale \(last heartbeat 5 s ago\): start or fix it/,
    );
    assert.match(
      summary[4] ?? '',
      /^helm -: helm was not found.*\(helm and kubectl must run on this node\)$/,
    );
    assert.match(
      summary[5] ?? '',
      /^release -: helm release kairship was not found in namespace kairship-system/,
    );
    assert.equal(result.release, undefined);
    assert.equal(result.targets.length, 5);
  });

  it('names a node given with --nodes that never announced itself, and targets only those named', async () => {
    await kit.beat('node-a');
    await kit.beat('node-b');
    const { kube } = fakeKube();
    const result = await check(kube, { nodes: ['node-b', 'node-x'] });
    assert.deepEqual(result.failures, [
      {
        check: 'agent',
        node: 'node-x',
        message: 'no agent named node-x has ever announced itself (see airlift status)',
      },
    ]);
    assert.deepEqual(
      result.targets.map((t) => t.node),
      ['node-b'],
    );
  });

  it('targets a node named twice with --nodes once', async () => {
    await kit.beat('node-a');
    const result = await check(fakeKube().kube, { nodes: ['node-a', 'node-a'] });
    assert.deepEqual(
      result.targets.map((t) => t.node),
      ['node-a'],
    );
  });

  it('leaves stopped agents out of `all`, but refuses one named with --nodes', async () => {
    await kit.beat('node-a');
    await kit.beat('node-gone', { state: 'stopped' });
    const { kube } = fakeKube();
    const all = await check(kube);
    assert.deepEqual(all.failures, []);
    assert.deepEqual(
      all.targets.map((t) => t.node),
      ['node-a'],
    );
    const named = await check(kube, { nodes: ['node-gone'] });
    assert.equal(named.failures.length, 1);
    assert.match(named.failures[0]?.message ?? '', /^agent is down \(last heartbeat \d+ s ago, stopped\)/);
  });

  it('fails with a hint when no agent has announced itself', async () => {
    const { kube } = fakeKube();
    const result = await check(kube);
    assert.deepEqual(result.failures, [
      { check: 'agents', message: 'no agent has announced itself: start `airlift agent` on every node' },
    ]);
  });

  it('fails when no registry is given and the release values have none, or cannot be read', async () => {
    await kit.beat('node-a');
    const none = await check(fakeKube({ values: 'replicas: 2\n' }).kube);
    assert.equal(none.imageRegistry, undefined);
    assert.deepEqual(none.failures, [
      {
        check: 'registry',
        message: 'release kairship has no global.imageRegistry in its values: pass --image-registry',
      },
    ]);
    const unreadable = await check(fakeKube({ values: new Error('helm get values timed out') }).kube);
    assert.deepEqual(unreadable.failures, [
      { check: 'registry', message: "cannot read the release's values: helm get values timed out" },
    ]);
    assert.equal(unreadable.registrySource, undefined);
  });
});

describe('globalImageRegistry', () => {
  it('reads global.imageRegistry from helm get values output, and nothing else', () => {
    const cases: [string, string | undefined][] = [
      ['global:\n  imageRegistry: 10.6.0.1:5000\n', '10.6.0.1:5000'],
      ['global:\n  imageRegistry: ""\n', undefined],
      ['global:\n  imageRegistry: 5000\n', undefined],
      ['global: {}\n', undefined],
      ['imageRegistry: 10.6.0.1\n', undefined],
      ['', undefined],
      ['null\n', undefined],
      ['- a\n- b\n', undefined],
    ];
    for (const [yaml, expected] of cases)
      assert.equal(globalImageRegistry(yaml), expected, JSON.stringify(yaml));
  });
});
