// Child process of the killed-push test: pushes a bundle over a throttled link, printing progress as
// JSON lines, so the parent can SIGKILL it mid-push. Not a test file itself.
import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSync } from 'node:fs';

import { createRegistryClient, type RegistryClient } from '../../../coordinator/registry/index.js';
import { pushBundleImages } from '../../../coordinator/sync/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { Secret } from '../../../shared/reference/index.js';

const [bundlePath, host, caFile] = process.argv.slice(2) as [string, string, string];
const BYTES_PER_SECOND = Number(process.env['PUSH_CHILD_RATE'] ?? 2 << 20);

/** Slows a stream to the test's rate, in 64 KiB steps. */
function throttled(source: Readable): Readable {
  const step = 64 * 1024;
  const throttle = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      void (async () => {
        for (let at = 0; at < chunk.length; at += step) {
          const part = chunk.subarray(at, at + step);
          await sleep((part.length / BYTES_PER_SECOND) * 1000);
          this.push(part);
        }
        done();
      })();
    },
  });
  return source.pipe(throttle);
}

function slowLink(client: RegistryClient): RegistryClient {
  return {
    registry: client.registry,
    ping: (signal) => client.ping(signal),
    hasBlob: (r, d, s) => client.hasBlob(r, d, s),
    mountBlob: (r, d, f, s) => client.mountBlob(r, d, f, s),
    uploadBlob: (r, d, body, options) =>
      client.uploadBlob(r, d, { size: body.size, open: () => throttled(body.open()) }, options),
    manifestDigest: (r, ref, s) => client.manifestDigest(r, ref, s),
    getManifest: (r, ref, s) => client.getManifest(r, ref, s),
    putManifest: (r, ref, m, b, s) => client.putManifest(r, ref, m, b, s),
    close: () => {
      client.close();
    },
  };
}

const client = slowLink(
  createRegistryClient({
    registry: host,
    caFile,
    credentials: {
      username: process.env['PUSH_CHILD_USER'] ?? '',
      password: new Secret(process.env['PUSH_CHILD_PASSWORD'] ?? ''),
    },
  }),
);
const bundle = await Bundle.open(bundlePath);
try {
  await pushBundleImages({
    bundle,
    rule: { kind: 'registry', registry: host },
    client,
    concurrency: 1,
    onProgress: (progress) => {
      writeSync(1, `${JSON.stringify(progress)}\n`);
    },
  });
  writeSync(1, '{"finished":true}\n');
} finally {
  client.close();
  await bundle.close();
}
