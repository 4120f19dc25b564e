import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { ContainerdApi } from '../../../agent/runtime/containerd-api.js';

describe('ContainerdApi', () => {
  it('concurrent calls on one job signal add one abort listener, and leave none when done', async () => {
    // Nothing listens there: each call fails UNAVAILABLE, after it has registered on the signal.
    const api = new ContainerdApi({
      address: '/nonexistent/containerd.sock',
      namespace: 'k8s.io',
      callTimeoutMs: 5000,
    });
    const { signal } = new AbortController();
    try {
      for (let round = 0; round < 3; round++) {
        const calls = Array.from({ length: 30 }, (_, i) =>
          api.contentInfo(`sha256:${String(i).padStart(64, '0')}`, signal).catch(() => undefined),
        );
        assert.ok(getEventListeners(signal, 'abort').length <= 1, 'one listener for 30 calls in flight');
        await Promise.all(calls);
        assert.equal(getEventListeners(signal, 'abort').length, 0);
      }
    } finally {
      api.close();
    }
  });
});
