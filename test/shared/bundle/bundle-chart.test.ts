import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { Bundle } from '../../../shared/bundle/index.js';
import { BundleMalformedError, ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import {
  REDIS_REGISTRY,
  SAMPLE_HINTS,
  sampleChartFiles,
  tarBuffer,
  type BundleSpec,
} from '../../helpers/fixtures/index.js';
import { expectOpenFailure, sampleIn } from '../../helpers/bundle-open-assertions.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const CHART = sampleChartFiles('0.21.0');
const REDIS = `${REDIS_REGISTRY}/bitnami/redis`;

/** A mutate function that edits the chart files (paths relative to original-chart/). */
function editChart(edit: (files: Record<string, string | Buffer>) => void): (spec: BundleSpec) => BundleSpec {
  return (spec) => {
    const chartFiles: Record<string, string | Buffer> = { ...spec.chartFiles };
    edit(chartFiles);
    return { ...spec, chartFiles };
  };
}

/** The redis subchart packed as `helm dependency build` leaves it. */
async function packedRedis(): Promise<Buffer> {
  return gzipSync(
    await tarBuffer([
      { name: 'redis/', type: 'directory' },
      { name: 'redis/Chart.yaml', data: Buffer.from(CHART['charts/redis/Chart.yaml']!) },
      { name: 'redis/values.yaml', data: Buffer.from(CHART['charts/redis/values.yaml']!) },
      { name: 'redis/templates/cm.yaml', data: Buffer.from('kind: ConfigMap\n') },
    ]),
  );
}

function removeUnpackedRedis(files: Record<string, string | Buffer>): void {
  delete files['charts/redis/Chart.yaml'];
  delete files['charts/redis/values.yaml'];
}

/** Chart.yaml with the redis dependency aliased to `alias`. */
function aliasedChartYaml(alias: string): string {
  const chart = parse(CHART['Chart.yaml']!) as { dependencies: Record<string, string>[] };
  chart.dependencies[0]!.alias = alias;
  return stringify(chart);
}

describe('Bundle.open: subcharts', () => {
  const dir = scratchDir('subcharts');

  it('reads a packed subchart (charts/redis-17.0.0.tgz) like an unpacked one', async (t) => {
    const unpacked = await Bundle.open((await sampleIn(dir(), 'unpacked')).path);
    t.after(() => unpacked.close());
    const tgz = await packedRedis();
    const sample = await sampleIn(dir(), 'packed', {
      mutate: editChart((files) => {
        removeUnpackedRedis(files);
        files['charts/redis-17.0.0.tgz'] = tgz;
      }),
    });
    const packed = await Bundle.open(sample.path);
    t.after(() => packed.close());
    assert.deepEqual(packed.info.chart.subcharts, [
      { key: 'redis', name: 'redis', version: '17.0.0', path: 'charts/redis-17.0.0.tgz' },
    ]);
    assert.deepEqual(packed.info.chart.values, unpacked.info.chart.values);
    assert.equal(packed.info.hints[3]?.reference, `${REDIS}:7.0.5`);
    assert.deepEqual(
      packed.info.hints.map((h) => h.reference),
      unpacked.info.hints.map((h) => h.reference),
    );
    assert.deepEqual(packed.info.crossCheck, unpacked.info.crossCheck);
  });

  for (const layout of ['unpacked', 'packed'] as const) {
    it(`a dependency alias moves the subchart's values under the alias (${layout})`, async (t) => {
      const tgz = await packedRedis();
      const values = parse(CHART['values.yaml']!) as Record<string, unknown>;
      const sample = await sampleIn(dir(), `alias-${layout}`, {
        mutate: (spec) => ({
          ...editChart((files) => {
            files['Chart.yaml'] = aliasedChartYaml('cache');
            const { redis, ...rest } = values;
            files['values.yaml'] = stringify({ ...rest, cache: redis });
            if (layout === 'packed') {
              removeUnpackedRedis(files);
              files['charts/redis-17.0.0.tgz'] = tgz;
            }
          })(spec),
          hints: SAMPLE_HINTS.map((h) => h.replaceAll('.redis.', '.cache.')),
        }),
      });
      const bundle = await Bundle.open(sample.path);
      t.after(() => bundle.close());
      assert.equal(bundle.info.chart.subcharts[0]?.key, 'cache');
      assert.equal(bundle.info.chart.subcharts[0].name, 'redis');
      const cache = bundle.info.chart.values.cache as Record<string, unknown> | undefined;
      assert.deepEqual(cache?.image, { tag: '7.0.5', registry: REDIS_REGISTRY, repository: 'bitnami/redis' });
      assert.equal(bundle.info.chart.values.redis, undefined);
      assert.equal(bundle.info.hints[3]?.reference, `${REDIS}:7.0.5`);
      assert.deepEqual(bundle.info.crossCheck.missingFromArchive, []);
    });
  }

  it("with an alias, the parent's block under the chart name no longer overrides the subchart", async (t) => {
    const sample = await sampleIn(dir(), 'alias-unused-block', {
      mutate: (spec) => ({
        ...editChart((files) => {
          files['Chart.yaml'] = aliasedChartYaml('cache');
        })(spec),
        hints: SAMPLE_HINTS.map((h) => h.replaceAll('.redis.', '.cache.')),
      }),
    });
    const bundle = await Bundle.open(sample.path);
    t.after(() => bundle.close());
    // The subchart's own default tag (7.0.4) wins: the parent's `redis.image.tag: 7.0.5` is for no chart.
    assert.equal(bundle.info.hints[3]?.reference, `${REDIS}:7.0.4`);
    assert.deepEqual(
      bundle.info.crossCheck.missingFromArchive.map((m) => [m.index, m.reference]),
      [[3, `${REDIS}:7.0.4`]],
    );
  });

  it('refuses a packed subchart that is not gzip', async () => {
    const sample = await sampleIn(dir(), 'bad-tgz', {
      mutate: editChart((files) => {
        files['charts/broken-1.0.0.tgz'] = 'plain text';
      }),
    });
    await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      sample.path,
      'original-chart/charts/broken-1.0.0.tgz',
      'not a valid .tgz',
    ]);
  });

  it('refuses a packed subchart without <name>/Chart.yaml', async () => {
    const tgz = gzipSync(await tarBuffer([{ name: 'redis/values.yaml', data: Buffer.from('a: 1\n') }]));
    const sample = await sampleIn(dir(), 'tgz-no-chart', {
      mutate: editChart((files) => {
        files['charts/redis-17.0.0.tgz'] = tgz;
      }),
    });
    await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      'original-chart/charts/redis-17.0.0.tgz',
      'no <name>/Chart.yaml',
    ]);
  });

  it('refuses an unpacked subchart whose Chart.yaml is invalid, naming it', async () => {
    const sample = await sampleIn(dir(), 'sub-chart-yaml', {
      mutate: editChart((files) => {
        files['charts/redis/Chart.yaml'] = 'apiVersion: v2\nname: redis\n';
      }),
    });
    await expectOpenFailure(sample.path, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      `${sample.path}!original-chart/charts/redis/Chart.yaml`,
      'version',
    ]);
  });
});

describe('Bundle.open: invalid chart files', () => {
  const dir = scratchDir('chart-files');

  it('values.yaml that is not valid YAML', async () => {
    const sample = await sampleIn(dir(), 'values-yaml', {
      mutate: editChart((files) => {
        files['values.yaml'] = 'image:\n  tag: [unclosed\n  registry: x\n';
      }),
    });
    const err = await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      sample.path,
      'entry original-chart/values.yaml',
      'is not valid YAML',
    ]);
    assert.equal(err.context.entry, 'original-chart/values.yaml');
  });

  it('values.yaml that is a list, not a map', async () => {
    const sample = await sampleIn(dir(), 'values-list', {
      mutate: editChart((files) => {
        files['values.yaml'] = '- a\n- b\n';
      }),
    });
    await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      'original-chart/values.yaml',
      'must be a YAML map',
    ]);
  });

  it('Chart.yaml without version', async () => {
    const chart = parse(CHART['Chart.yaml']!) as Record<string, unknown>;
    delete chart.version;
    const sample = await sampleIn(dir(), 'no-version', {
      mutate: editChart((files) => {
        files['Chart.yaml'] = stringify(chart);
      }),
    });
    const err = await expectOpenFailure(sample.path, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      `${sample.path}!original-chart/Chart.yaml`,
      'version: required',
    ]);
    assert.equal(err.context.field, 'version');
  });

  it('Chart.yaml with a version that is not semver', async () => {
    const sample = await sampleIn(dir(), 'bad-version', {
      mutate: editChart((files) => {
        files['Chart.yaml'] = 'apiVersion: v2\nname: kairship\nversion: latest\n';
      }),
    });
    await expectOpenFailure(sample.path, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      'original-chart/Chart.yaml',
      'version',
      'semantic version',
    ]);
  });

  it('Chart.yaml that is not valid YAML', async () => {
    const sample = await sampleIn(dir(), 'chart-yaml', {
      mutate: editChart((files) => {
        files['Chart.yaml'] = 'name: kairship\nversion: "0.21.0\n';
      }),
    });
    await expectOpenFailure(sample.path, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      'original-chart/Chart.yaml',
      'YAML',
    ]);
  });
});
