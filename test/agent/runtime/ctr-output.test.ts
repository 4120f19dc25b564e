import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigLabels, parseImageCheck } from '../../../agent/runtime/ctr-output.js';

const M = 'sha256:' + '1'.repeat(64);
const C = 'sha256:' + '2'.repeat(64);
const L = 'sha256:' + '3'.repeat(64);

describe('parseConfigLabels', () => {
  it('maps each manifest to the config its gc label names, whatever the AGE column holds', () => {
    const stdout = [
      'DIGEST\tSIZE\tAGE\t\tLABELS',
      `${L}\t2.518MB\tAbout a minute\tcontainerd.io/uncompressed=sha256:${'4'.repeat(64)}`,
      `${M}\t591B\t3 days\tcontainerd.io/gc.ref.content.l.0=${L},containerd.io/gc.ref.content.config=${C}`,
      `${C}\t477B\tAbout a minute\tcontainerd.io/gc.ref.snapshot.overlayfs=sha256:${'5'.repeat(64)}`,
      '',
    ].join('\n');
    assert.deepEqual([...parseConfigLabels(stdout)], [[M, C]]);
  });

  it('finds nothing in an empty store', () => {
    assert.equal(parseConfigLabels('DIGEST\tSIZE\tAGE\tLABELS\n').size, 0);
  });
});

describe('parseImageCheck', () => {
  it('reads completeness and unpacking from the columns that hold spaces', () => {
    const stdout = [
      'REF TYPE DIGEST STATUS SIZE UNPACKED',
      `docker.io/library/a:1 application/vnd.docker.distribution.manifest.v2+json ${M} complete (2/2) 2.4 MiB/2.4 MiB true`,
      `docker.io/library/b:1 application/vnd.oci.image.manifest.v1+json ${C} incomplete (1/2) 1.0 MiB/2.4 MiB false`,
    ].join('\n');
    assert.deepEqual(
      parseImageCheck(stdout).map((r) => [r.reference, r.targetDigest, r.complete, r.unpacked]),
      [
        ['docker.io/library/a:1', M, true, true],
        ['docker.io/library/b:1', C, false, false],
      ],
    );
  });
});
