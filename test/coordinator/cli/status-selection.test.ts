import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  judgeStatus,
  missingNodesMessage,
  parseNodeList,
} from '../../../coordinator/cli/status-selection.js';
import { classifyAgent } from '../../../coordinator/fleet/index.js';
import { ExitCode } from '../../../shared/cli/index.js';
import { ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { assertAirliftError, thrownBy } from '../../helpers/airlift-error-assertions.js';
import { heartbeat } from '../../shared/control/control-fixtures.js';

const NOW = Date.parse('2026-12-07T01:00:00Z');
const agent = (node: string, agoMs: number) =>
  classifyAgent(heartbeat({ node, sentAt: new Date(NOW - agoMs).toISOString() }), NOW);
const HEALTHY = agent('node-a', 0);
const STALE = agent('node-b', 5_000);
const DOWN = agent('node-c', 60_000);

describe('status selection', () => {
  it('exits 0 only when every listed agent is healthy', () => {
    assert.equal(judgeStatus([HEALTHY]).exitCode, ExitCode.Ok);
    assert.equal(judgeStatus([HEALTHY, STALE]).exitCode, ExitCode.Unhealthy);
    assert.equal(judgeStatus([HEALTHY, DOWN]).exitCode, ExitCode.Unhealthy);
    assert.equal(ExitCode.Unhealthy, 11);
  });

  it('treats an empty fleet as unhealthy', () => {
    assert.deepEqual(judgeStatus([]), { rows: [], missing: [], exitCode: ExitCode.Unhealthy });
  });

  it('limits to --nodes, so an unhealthy agent outside them does not count', () => {
    const verdict = judgeStatus([HEALTHY, STALE, DOWN], ['node-a']);
    assert.deepEqual(
      verdict.rows.map((r) => r.node),
      ['node-a'],
    );
    assert.equal(verdict.exitCode, ExitCode.Ok);
  });

  it('names --nodes targets with no entry and exits 11', () => {
    const verdict = judgeStatus([HEALTHY], ['node-a', 'node-z', 'node-y']);
    assert.deepEqual(verdict.missing, ['node-z', 'node-y']);
    assert.equal(verdict.exitCode, ExitCode.Unhealthy);
    assert.match(missingNodesMessage(verdict.missing) ?? '', /from node-z, node-y:/);
    assert.equal(missingNodesMessage([]), undefined);
  });

  it('parses --nodes, dropping blanks and duplicates, and refuses an empty list', () => {
    assert.deepEqual(parseNodeList(' a, b,,a '), ['a', 'b']);
    assertAirliftError(
      thrownBy(() => parseNodeList(' , ')),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      ['--nodes'],
    );
  });
});
