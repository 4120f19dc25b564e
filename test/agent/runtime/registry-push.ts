import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildImage, buildLayer } from '../../helpers/fixtures/image-builder.js';
import { requireBinary } from '../../helpers/host-prereqs.js';
import { OCI_MANIFEST, descriptorOf, imageBlobs, ociLayoutTar } from '../../helpers/oci-layout-builder.js';

/** Writes a one-layer image as an OCI archive and pushes it to `reference` with skopeo. */
export async function pushImage(dir: string, reference: string, label: string): Promise<string> {
  const layer = await buildLayer({ [`${label}.txt`]: Buffer.from(label) });
  const image = buildImage([reference], [layer], label);
  const { manifest, blobs } = imageBlobs(image);
  const tar = await ociLayoutTar(
    [descriptorOf(manifest, OCI_MANIFEST, { annotations: { 'org.opencontainers.image.ref.name': 'v1' } })],
    [manifest, ...blobs],
  );
  const file = join(dir, `${label}.tar`);
  writeFileSync(file, tar);
  await execa(
    requireBinary('skopeo'),
    ['copy', '--dest-tls-verify=false', `oci-archive:${file}:v1`, `docker://${reference}`],
    { timeout: 60_000 },
  );
  return image.configDigest;
}
