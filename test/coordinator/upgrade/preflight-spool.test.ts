import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import type { KubeTools } from '../../../coordinator/kube/index.js';
import { preflight } from '../../../coordinator/upgrade/preflight.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { FleetKit } from './upgrade-kit.js';

const MiB = 2 ** 20;

/** helm and kubectl answering as a healthy release would. */
const kube = {
  versions: () => Promise.resolve({ helm: 'v3.14.0', kubectl: 'v1.29.0', runs: [] }),
  releaseStatus: () =>
    Promise.resolve({
      argv: ['helm'],
      stdout: '',
      stderr: '',
      durationMs: 1,
      release: {
        name: 'kairship',
        namespace: 'kairship-system',
        revision: 1,
        status: 'deployed',
        chartName: 'kairship',
        chartVersion: '0.20.0',
      },
    }),
  getValues: () =>
    Promise.resolve({ argv: ['helm'], stdout: 'global:\n  imageRegistry: r\n', stderr: '', durationMs: 1 }),
} as unknown as KubeTools;

describe('preflight: spool space', { timeout: 10_000 }, () => {
  let kit: FleetKit;
  let fleet: FleetRegistry;
  beforeEach(async () => {
    kit = await new FleetKit().open();
    fleet = await FleetRegistry.open(kit.coordinator, kit.keys.coordinatorTrust().policy);
  });

  const check = (requiredSpoolBytes: number) =>
    preflight({
      fleet,
      kube,
      release: 'kairship',
      namespace: 'kairship-system',
      nodes: 'all',
      requiredDiskBytes: 1,
      requiredSpoolBytes,
      // Every data plane answers: this file is about spool space.
      dataPlane: { tls: undefined, ping: () => Promise.resolve({}) },
      signal: new AbortController().signal,
      logger: silentLogger(),
    });

  it('fails a node whose spool has less free space than images.tar, naming node and path', async () => {
    await kit.beat('node-roomy');
    await kit.beat('node-tight', {
      spool: { path: '/srv/airlift-spool', freeBytes: 100 * MiB, totalBytes: 200 * MiB },
    });
    const result = await check(300 * MiB);
    assert.deepEqual(
      result.failures.map((f) => [f.check, f.node]),
      [['spool', 'node-tight']],
    );
    assert.match(
      result.failures[0]?.message ?? '',
      /100\.0 MiB free in the spool \/srv\/airlift-spool, needs 300\.0 MiB/,
    );
  });

  it('passes a spool with exactly enough room', async () => {
    await kit.beat('node-a', { spool: { path: '/s', freeBytes: 300 * MiB, totalBytes: 400 * MiB } });
    assert.deepEqual((await check(300 * MiB)).failures, []);
  });
});
