import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { standInEnv } from '../../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../../helpers/local-fleet.js';
import { runCli } from '../../helpers/run-cli.js';

const NODES = ['node-a', 'node-b'] as const;
const PIECE = 16 * 1024;

/** The value of one sample line (`name{labels} value`) in the text format; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Where the agent's /metrics listens, from its own log record (it was given port 0). */
function metricsAddress(fleet: LocalFleet, node: string): string {
  for (const line of fleet.node(node).agent.logs().split('\n')) {
    if (!line.includes('health and metrics endpoint listening')) continue;
    return (JSON.parse(line) as { address: string }).address;
  }
  throw new Error(`agent ${node} logged no metrics address:\n${fleet.node(node).agent.logTail()}`);
}

describe('agent /metrics after a real chained transfer', { timeout: 240_000 }, () => {
  let fleet: LocalFleet | undefined;
  let bundle: SampleBundle;

  before(async () => {
    fleet = await startLocalFleet(
      NODES.map((name) => ({
        name,
        runtime: 'containerd' as const,
        agentArgs: ['--metrics-listen', '127.0.0.1:0'],
      })),
    );
    bundle = await writeSampleBundle(fleet.dir, { layerBytes: 64 * 1024 });
  });
  after(async () => {
    await fleet?.stop();
  });

  it('counts pieces and bytes received and served, and shows the finished job', async () => {
    assert.ok(fleet !== undefined);
    const run = await runCli(
      [
        'upgrade',
        bundle.path,
        '--release',
        'kairship',
        '--namespace',
        'kairship-system',
        ...fleet.coordinatorArgs,
        '--listen',
        '127.0.0.1:0',
        '--run-dir',
        join(fleet.dir, 'run'),
        '--timeout',
        '120s',
        // Node to node: one node relays to the other, so one agent serves what it received.
        '--distribution',
        'chain',
        '--piece-size',
        '16KiB',
      ],
      standInEnv(join(fleet.dir, 'kube.log')),
    );
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    const pieces = Math.ceil(bundle.spec.imagesTar.length / PIECE);
    const texts = await Promise.all(
      NODES.map(async (node) => (await fetch(`http://${metricsAddress(fleet!, node)}/metrics`)).text()),
    );
    let servedPieces = 0;
    let servedBytes = 0;
    for (const [i, text] of texts.entries()) {
      const node = NODES[i];
      assert.equal(sample(text, 'airlift_agent_received_pieces_total'), pieces, `${node}\n${text}`);
      assert.equal(sample(text, 'airlift_agent_received_bytes_total'), bundle.spec.imagesTar.length, node);
      assert.equal(sample(text, 'airlift_agent_corrupt_pieces_total'), 0, node);
      assert.equal(sample(text, 'airlift_agent_last_job_ok'), 1, node);
      assert.ok((sample(text, 'airlift_agent_last_job_duration_seconds') ?? -1) > 0, node);
      assert.equal(sample(text, 'airlift_agent_job_phase{phase="idle"}'), 1, node);
      assert.equal(sample(text, 'airlift_agent_job_duration_seconds'), 0, node);
      assert.equal(sample(text, 'airlift_agent_job_refusals_total'), 0, node);
      assert.equal(sample(text, 'airlift_agent_data_plane_refusals_total'), 0, node);
      assert.equal(sample(text, 'airlift_agent_control_plane_up'), 1, node);
      servedPieces += sample(text, 'airlift_agent_served_pieces_total') ?? 0;
      servedBytes += sample(text, 'airlift_agent_served_bytes_total') ?? 0;
    }
    // The chain's second node got every piece from the first, and nothing else was served by agents.
    assert.equal(servedPieces, pieces);
    assert.equal(servedBytes, bundle.spec.imagesTar.length);
  });
});
