import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_DATA_DIRS, diskFacts, runtimeFacts } from '../../../agent/daemon/node-facts.js';
import type { RuntimeInfo } from '../../../agent/index.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';

describe('node facts', { timeout: 5_000 }, () => {
  it('diskFacts measures the filesystem of the path, or of its nearest existing parent', async () => {
    const fs = await statfs(tmpdir());
    const missing = join(tmpdir(), 'airlift-missing', 'a', 'b');
    for (const path of [tmpdir(), missing]) {
      const disk = await diskFacts(path);
      assert.equal(disk.path, path);
      assert.equal(disk.totalBytes, fs.blocks * fs.bsize);
      assert.ok(disk.freeBytes > 0 && disk.freeBytes <= disk.totalBytes);
    }
  });

  it('diskFacts rethrows anything but a missing path', async () => {
    await assert.rejects(diskFacts('\u0000bad'), (err: NodeJS.ErrnoException) => err.code !== 'ENOENT');
  });

  it('knows where each runtime keeps its images by default', () => {
    assert.deepEqual(DEFAULT_DATA_DIRS, { containerd: '/var/lib/containerd', docker: '/var/lib/docker' });
  });

  it('runtimeFacts reports what an answering runtime says', async () => {
    const facts = await runtimeFacts(new FakeRuntime(() => undefined), 1000);
    assert.deepEqual(facts, {
      kind: 'containerd',
      version: '1.0-fake',
      endpoint: 'memory',
      namespace: 'k8s.io',
      ok: true,
    });
  });

  it('runtimeFacts reports a runtime that refuses, rather than throwing', async () => {
    const runtime = new FakeRuntime(() => undefined);
    runtime.down = true;
    const facts = await runtimeFacts(runtime, 1000);
    assert.equal(facts.ok, false);
    assert.equal(facts.kind, 'containerd');
    assert.equal(facts.endpoint, 'unreachable');
    assert.match(facts.error ?? '', /fake runtime does not answer/);
  });

  it('runtimeFacts gives up on a runtime that hangs, within the time given', async () => {
    class Hanging extends FakeRuntime {
      override info(): Promise<RuntimeInfo> {
        return new Promise(() => undefined);
      }
    }
    const started = performance.now();
    const facts = await runtimeFacts(new Hanging(() => undefined), 30);
    assert.ok(performance.now() - started < 1000);
    assert.equal(facts.ok, false);
    assert.match(facts.error ?? '', /containerd runtime did not answer within 30 ms/);
  });
});
