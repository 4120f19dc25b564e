import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatResultsTable, nodeResults } from '../../../../coordinator/upgrade/progress/index.js';
import type { NodeOutcome } from '../../../../coordinator/upgrade/node-tracker.js';
import { report } from '../../../shared/control/control-fixtures.js';

const MiB = 1024 * 1024;
const START = Date.parse('2026-12-07T03:00:00.000Z');
const at = (seconds: number): string => new Date(START + seconds * 1000).toISOString();
const transfer = (
  fromCoordinator: number,
  fromPeers: number,
): NonNullable<NodeOutcome['report']>['transfer'] => ({
  piecesReceived: 10,
  bytesReceived: fromCoordinator + fromPeers,
  corruptPieces: 0,
  sourceSwitches: 0,
  bytesFromSource: {
    'spark:7480': fromCoordinator,
    ...(fromPeers === 0 ? {} : { '10.0.0.2:7480': fromPeers / 2, '10.0.0.3:7480': fromPeers / 2 }),
  },
  resumedPieces: 0,
});

const OUTCOMES: NodeOutcome[] = [
  {
    node: 'node-a',
    ok: true,
    report: report('node-a', true, { transfer: transfer(8 * MiB, 0) }),
    settledAt: at(8),
  },
  {
    node: 'node-b',
    ok: true,
    report: report('node-b', true, { transfer: transfer(2 * MiB, 6 * MiB) }),
    settledAt: at(16),
  },
  {
    node: 'node-c',
    ok: true,
    report: report('node-c', true, { bytesLoaded: 0, loadMs: 0 }),
    settledAt: at(1),
  },
  {
    node: 'node-d',
    ok: false,
    report: report('node-d', false, { transfer: transfer(MiB, 0) }),
    problem: '1 of 2 references not verified',
    settledAt: at(20),
  },
  { node: 'node-e', ok: false, problem: 'agent refused the job' },
];

describe('results table', () => {
  const results = nodeResults(OUTCOMES, {
    startedAt: START,
    imagesExpected: 2,
    coordinatorAddress: 'spark:7480',
  });

  it('gives each node its result, time, bytes, rate, images and sources', () => {
    assert.deepEqual(results[0], {
      node: 'node-a',
      result: 'verified',
      durationMs: 8000,
      bytesReceived: 8 * MiB,
      averageRate: MiB,
      imagesVerified: 2,
      imagesExpected: 2,
      bytesFromCoordinator: 8 * MiB,
      bytesFromPeers: 0,
    });
    const [, b, c, d] = results;
    assert.ok(b !== undefined && c !== undefined && d !== undefined);
    assert.equal(b.bytesFromPeers, 6 * MiB);
    assert.equal(b.bytesFromCoordinator, 2 * MiB);
    assert.equal(c.result, 'skipped');
    assert.equal(c.bytesFromPeers, undefined, 'a skipped node fetched nothing');
    assert.equal(d.result, 'failed');
    assert.equal(d.imagesVerified, 1);
    assert.deepEqual(results[4], {
      node: 'node-e',
      result: 'failed',
      bytesReceived: 0,
      imagesVerified: 0,
      imagesExpected: 2,
      problem: 'agent refused the job',
    });
  });

  it('renders aligned columns, the problems, and the total duration', () => {
    assert.deepEqual(formatResultsTable(results, 95_000), [
      'NODE    RESULT                      TIME    RECEIVED  AVG RATE     IMAGES  FROM PEERS  FROM COORDINATOR',
      'node-a  verified                    8.0 s   8.0 MiB   1.0 MiB/s    2/2     0 B         8.0 MiB',
      'node-b  verified                    16.0 s  8.0 MiB   512.0 KiB/s  2/2     6.0 MiB     2.0 MiB',
      'node-c  skipped (already verified)  1.0 s   0 B       0 B/s        2/2     -           -',
      'node-d  FAILED                      20.0 s  1.0 MiB   51.2 KiB/s   1/2     0 B         1.0 MiB',
      'node-e  FAILED                      -       0 B       -            0/2     -           -',
      'problems:',
      '  node-d: 1 of 2 references not verified',
      '  node-e: agent refused the job',
      'total duration 95.0 s',
    ]);
  });
});
