// `npm run bench:sync -- [layerMiB=64]`: what `airlift sync` costs per MiB pushed. A sample bundle (four
// images, each with a layer of layerMiB, plus a shared base layer) is pushed over TLS with htpasswd to
// Debian's docker-registry on loopback, then pushed again (everything already there). CPU is this
// process's user + system during the push: the coordinator side only (the registry is another
// process). Not a test.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncBundles } from '../../../coordinator/sync/index.js';
import { parseLoadImageConfig } from '../../../shared/reference/index.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import { REGISTRY_PASSWORD, REGISTRY_USER, startRegistry } from '../../helpers/registry-instance.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const layerMiB = Number(process.argv[2] ?? 64);
const MiB = 1024 * 1024;

const registry = await startRegistry({ htpasswd: true, tls: true });
const tmp = makeTempDir('airlift-bench-sync');
try {
  const sample = await writeSampleBundle(tmp.path, { layerBytes: layerMiB * MiB });
  const file = join(tmp.path, 'load-image.yaml');
  const yaml = `target:\n  containerRegistry: ${registry.host}\n  containers:\n    auth:\n      username: ${REGISTRY_USER}\n      password: ${REGISTRY_PASSWORD}\n`;
  writeFileSync(file, yaml);
  const config = parseLoadImageConfig(yaml, file, {});
  const transport = { plainHttp: false, skipTlsVerify: false, caFile: registry.caFile ?? '', concurrency: 2 };
  for (const pass of ['first push', 'again (all there)']) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const [result] = await syncBundles({ config, configFile: file, bundles: [sample.path], transport });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const sent = result?.images.bytesUploaded ?? 0;
    process.stdout.write(
      `${pass}: ${(sent / MiB).toFixed(0)} MiB uploaded in ${seconds.toFixed(2)} s (${(sent / MiB / seconds).toFixed(0)} MiB/s), CPU ${cpuMs.toFixed(0)} ms${sent > 0 ? ` = ${(cpuMs / (sent / MiB)).toFixed(2)} ms/MiB` : ''}; blobs ${JSON.stringify(result?.images.blobs)}\n`,
    );
  }
} finally {
  await registry.stop();
  await tmp.remove();
}
