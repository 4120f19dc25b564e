import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Bundle } from '../../../shared/bundle/index.js';
import { sampleIn } from '../../helpers/bundle-open-assertions.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { GNU_TAR, runTar } from '../../helpers/gnu-tar.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

// Operators unpack a bundle to look inside and pack it again with GNU tar; the result must still open.
describe(
  'Bundle.open: a bundle re-packed with GNU tar',
  { skip: GNU_TAR === undefined ? 'GNU tar not installed' : false },
  () => {
    const dir = scratchDir('rebuilt');

    async function repack(
      name: string,
      format: string,
      members: readonly string[],
    ): Promise<{ path: string; imagesTar: Buffer }> {
      const sample = await sampleIn(dir(), name, { format: 'oci-layout' });
      const tree = join(dir(), name, 'tree');
      await mkdir(tree);
      await runTar(['-C', tree, '-xf', sample.path]);
      const path = join(dir(), name, 'kairship_0.21.0-repacked.bundle.tar');
      await runTar([`--format=${format}`, '-C', tree, '-cf', path, ...members]);
      return { path, imagesTar: sample.spec.imagesTar };
    }

    for (const format of ['gnu', 'posix']) {
      it(`--format=${format}, members named explicitly`, async (t) => {
        const { path, imagesTar } = await repack(`named-${format}`, format, [
          'original-chart',
          'hints.yaml',
          'images.tar',
        ]);
        const bundle = await Bundle.open(path);
        t.after(() => bundle.close());
        assert.equal(bundle.info.version, '0.21.0-repacked');
        assert.equal(bundle.info.archive.images.length, 4);
        assert.deepEqual(bundle.info.crossCheck.missingFromArchive, []);
        assert.ok((await collectBytes(bundle.openImagesStream())).equals(imagesTar));
      });
    }

    it('packed from inside the directory (`tar -C tree -cf x.bundle.tar .`)', async (t) => {
      const { path } = await repack('dot', 'gnu', ['.']);
      const bundle = await Bundle.open(path);
      t.after(() => bundle.close());
      assert.equal(bundle.info.archive.images.length, 4);
    });
  },
);
