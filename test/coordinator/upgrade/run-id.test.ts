import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRunId } from '../../../coordinator/upgrade/run-id.js';
import { RUN_ID } from '../../../shared/control/index.js';

describe('newRunId', () => {
  it('stamps the UTC time to the second, with a random suffix', () => {
    const id = newRunId(new Date('2026-11-24T11:55:07.123Z'));
    assert.match(id, /^r20261124-115507-[0-9a-f]{4}$/);
  });

  it('makes ids that are valid run ids (subject tokens, KV keys)', () => {
    for (const when of [new Date(0), new Date('2099-12-31T23:59:59.999Z'), new Date()])
      assert.ok(RUN_ID.test(newRunId(when)), newRunId(when));
  });

  it('sorts by time, and differs between runs started in the same second', () => {
    const earlier = newRunId(new Date('2026-01-01T00:00:09Z'));
    const later = newRunId(new Date('2026-01-01T00:00:10Z'));
    assert.ok(earlier < later);
    const same = new Set(Array.from({ length: 50 }, () => newRunId(new Date('2026-01-01T00:00:00Z'))));
    assert.ok(same.size > 40, `${same.size} distinct ids of 50`);
  });
});
