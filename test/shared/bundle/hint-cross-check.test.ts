import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bundle, describeHintProblems } from '../../../shared/bundle/index.js';
import { ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { SAMPLE_HINTS, SAMPLE_REGISTRY, type SampleBundleOptions } from '../../helpers/fixtures/index.js';
import { expectOpenFailure, sampleIn } from '../../helpers/bundle-open-assertions.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const UI_LATEST = `${SAMPLE_REGISTRY}/kairship/kairship-ui:latest`;

describe('Bundle.open: hints.yaml against images.tar', () => {
  const dir = scratchDir('hints');

  async function openWith(name: string, options: SampleBundleOptions): Promise<Bundle> {
    return Bundle.open((await sampleIn(dir(), name, options)).path);
  }

  it('a hint naming an image the archive lacks is reported, not thrown', async (t) => {
    const absent = '{{ .apiserver.image.registry }}/kairship/kairship-webhook:{{ .apiserver.image.tag }}';
    const bundle = await openWith('absent', {
      mutate: (spec) => ({ ...spec, hints: [...SAMPLE_HINTS, absent] }),
    });
    t.after(() => bundle.close());
    const expected = `${SAMPLE_REGISTRY}/kairship/kairship-webhook:v0.21.0`;
    assert.deepEqual(bundle.info.crossCheck, {
      missingFromArchive: [{ template: absent, index: 4, reference: expected }],
      unrenderable: [],
      notInHints: [UI_LATEST],
    });
    assert.deepEqual(describeHintProblems(bundle.info.crossCheck), [
      `hints.yaml [4] names ${expected}, which images.tar does not contain`,
    ]);
  });

  it('a hint whose value is missing is unrenderable, and the other hints still render', async (t) => {
    const broken = '{{ .webhook.image.registry }}/{{ .webhook.image.repository }}:{{ .webhook.image.tag }}';
    const bundle = await openWith('unrenderable', {
      mutate: (spec) => ({ ...spec, hints: [broken, ...SAMPLE_HINTS] }),
    });
    t.after(() => bundle.close());
    const { crossCheck, hints } = bundle.info;
    assert.equal(hints.length, 5);
    assert.equal(hints[0]?.reference, undefined);
    assert.equal(hints[1]?.reference, `${SAMPLE_REGISTRY}/kairship/kairship-apiserver:v0.21.0`);
    assert.deepEqual(crossCheck.missingFromArchive, []);
    assert.equal(crossCheck.unrenderable.length, 1);
    assert.equal(crossCheck.unrenderable[0]?.index, 0);
    assert.equal(crossCheck.unrenderable[0].template, broken);
    assert.match(crossCheck.unrenderable[0].problem, /webhook/);
    const [line] = describeHintProblems(crossCheck);
    assert.ok(line?.startsWith(`hints.yaml [0] ${JSON.stringify(broken)} does not render: `), line);
  });

  it('a hint that renders to something that is not a reference is unrenderable', async (t) => {
    const upper = '{{ .apiserver.image.registry }}/Kairship/API:{{ .apiserver.image.tag }}';
    const bundle = await openWith('not-a-reference', {
      mutate: (spec) => ({ ...spec, hints: [...SAMPLE_HINTS, upper] }),
    });
    t.after(() => bundle.close());
    assert.deepEqual(
      bundle.info.crossCheck.unrenderable.map((u) => [u.index, u.template]),
      [[4, upper]],
    );
    assert.match(bundle.info.crossCheck.unrenderable[0]!.problem, /Kairship\/API/);
  });

  it('compares normalised references: a short Docker Hub hint matches the full archive name', async (t) => {
    const bundle = await openWith('normalised', {
      archive: { overrideFirstRepoTags: ['docker.io/library/nginx:1.25'] },
      mutate: (spec) => ({ ...spec, hints: ['nginx:1.25', ...SAMPLE_HINTS.slice(1)] }),
    });
    t.after(() => bundle.close());
    assert.deepEqual(bundle.info.crossCheck, {
      missingFromArchive: [],
      unrenderable: [],
      notInHints: [UI_LATEST],
    });
  });

  it('an empty hints.yaml names nothing: every archive reference is "not in hints"', async (t) => {
    const sample = await sampleIn(dir(), 'empty', { mutate: (spec) => ({ ...spec, hints: '' }) });
    const bundle = await Bundle.open(sample.path);
    t.after(() => bundle.close());
    assert.deepEqual(bundle.info.hints, []);
    assert.deepEqual(bundle.info.crossCheck.notInHints, sample.references);
    assert.deepEqual(describeHintProblems(bundle.info.crossCheck), []);
  });

  it('refuses a hints.yaml that is not a list of strings, naming it', async () => {
    const sample = await sampleIn(dir(), 'not-a-list', {
      mutate: (spec) => ({ ...spec, hints: 'image: x\n' }),
    });
    await expectOpenFailure(sample.path, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      `${sample.path}!hints.yaml`,
      'expected a list of image templates',
    ]);
    const numbers = await sampleIn(dir(), 'numbers', { mutate: (spec) => ({ ...spec, hints: '- 1\n' }) });
    await expectOpenFailure(numbers.path, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      `${numbers.path}!hints.yaml`,
      '[0]',
      'expected a string',
    ]);
  });
});
