import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { createRegistryClient } from '../../../coordinator/registry/index.js';
import { pushBundleImages } from '../../../coordinator/sync/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { Secret } from '../../../shared/reference/index.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import { trackProcess } from '../../helpers/process-registry.js';
import { REGISTRY_PASSWORD, REGISTRY_USER, startRegistry } from '../../helpers/registry-instance.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const CHILD = fileURLToPath(new URL('./push-child.js', import.meta.url));
const KILL_AFTER_BYTES = 1536 * 1024;

describe('a push killed midway', () => {
  it('completes on a rerun that skips the blobs already pushed', { timeout: 120_000 }, async () => {
    const registry = await startRegistry({ htpasswd: true, tls: true });
    const dir = makeTempDir('airlift-push-resume');
    try {
      const caFile = registry.caFile ?? assert.fail('TLS registry without a CA');
      const sample = await writeSampleBundle(dir.path, { layerBytes: 1 << 20 });
      const killedAt = await runChildUntil(sample.path, registry.host, caFile, KILL_AFTER_BYTES);
      assert.ok(killedAt.bytesDone < killedAt.bytesTotal, 'the child was killed before it finished');

      const bundle = await Bundle.open(sample.path);
      const client = createRegistryClient({
        registry: registry.host,
        caFile,
        credentials: { username: REGISTRY_USER, password: new Secret(REGISTRY_PASSWORD) },
      });
      try {
        const rule = { kind: 'registry', registry: registry.host } as const;
        const resumed = await pushBundleImages({ bundle, rule, client });
        assert.ok(resumed.blobs.exists >= 1, `blobs skipped on resume: ${JSON.stringify(resumed.blobs)}`);
        assert.ok(resumed.blobs.uploaded >= 1, 'the rest was uploaded');
        assert.equal(resumed.images.length, 4);
        const again = await pushBundleImages({ bundle, rule, client });
        assert.equal(again.blobs.uploaded + again.blobs.mounted + again.manifests.pushed, 0);
      } finally {
        client.close();
        await bundle.close();
      }
    } finally {
      await dir.remove();
      await registry.stop();
    }
  });
});

interface ChildProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Runs the push in a child process and SIGKILLs it once `bytes` were sent; the last progress seen. */
async function runChildUntil(
  bundle: string,
  host: string,
  caFile: string,
  bytes: number,
): Promise<ChildProgress> {
  const child = spawn(process.execPath, [CHILD, bundle, host, caFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PUSH_CHILD_USER: REGISTRY_USER, PUSH_CHILD_PASSWORD: REGISTRY_PASSWORD },
  });
  const untrack = trackProcess(child.pid ?? 0, 'push child');
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  let last: ChildProgress | undefined;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line) as Partial<ChildProgress> & { finished?: boolean };
      if (event.finished === true) assert.fail('the child finished before it could be killed');
      last = { bytesDone: event.bytesDone ?? 0, bytesTotal: event.bytesTotal ?? 0 };
      if (last.bytesDone >= bytes) {
        child.kill('SIGKILL');
        break;
      }
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
    untrack();
  }
  return last ?? assert.fail('the child reported no progress');
}
