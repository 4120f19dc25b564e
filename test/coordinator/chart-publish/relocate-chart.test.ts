import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { relocateChart } from '../../../coordinator/chart-publish/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { ChartRelocateError, ErrorCode } from '../../../shared/errors/index.js';
import {
  applyRetagRule,
  formatReference,
  parseReference,
  type RetagRule,
} from '../../../shared/reference/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import {
  tarBuffer,
  writeBundle,
  writeSampleBundle,
  type SampleBundle,
} from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

// A hand-written values.yaml with comments, so that keeping them can be checked.
const COMMENTED_VALUES = `# kairship defaults
global:
  imageRegistry: release.daocloud.io # the installer's registry
apiserver:
  # the API server image
  image:
    registry: release.daocloud.io
    repository: kairship/kairship-apiserver # keep me
    tag: v0.21.0
  replicas: 2
controllerManager:
  image:
    registry: release.daocloud.io
    repository: kairship/kairship-controller-manager
    tag: v0.21.0
ui:
  image:
    registry: release.daocloud.io
    repository: kairship/kairship-ui
    tag: v0.21.0
redis:
  image:
    tag: 7.0.5
`;

/** Every file under `dir`, relative, with its text. */
async function chartFiles(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = await readFile(path);
  }
  return out;
}

/** Leaf value paths whose values differ between two parsed YAML maps. */
function changedLeaves(a: unknown, b: unknown, prefix = ''): string[] {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(a) || !isMap(b)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix.slice(0, -1)];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => changedLeaves(a[key], b[key], `${prefix}${key}.`));
}

describe('relocateChart', () => {
  const dir = scratchDir('chart-relocate');
  let sample: SampleBundle;
  let bundle: Bundle;
  let run = 0;
  const outDir = (): string => join(dir(), `out-${++run}`);

  before(async () => {
    sample = await writeSampleBundle(dir(), {
      layerBytes: 128,
      mutate: (spec) => ({ ...spec, chartFiles: { ...spec.chartFiles, 'values.yaml': COMMENTED_VALUES } }),
    });
    bundle = await Bundle.open(sample.path);
  });
  after(async () => {
    await bundle.close();
  });

  /** Re-reads the relocated tree as a bundle and renders its hints: what helm would pull after the upgrade. */
  async function renderedAfter(chartDir: string): Promise<string[]> {
    const path = await writeBundle(join(dir(), `relocated-${run}.bundle.tar`), {
      ...sample.spec,
      chartFiles: await chartFiles(chartDir),
    });
    const relocated = await Bundle.open(path);
    try {
      return relocated.info.hints.map((hint) => formatReference(parseReference(hint.reference ?? '')));
    } finally {
      await relocated.close();
    }
  }

  function targets(rule: RetagRule): string[] {
    return bundle.info.hints.map((hint) =>
      formatReference(applyRetagRule(parseReference(hint.reference ?? ''), rule)),
    );
  }

  it('rewrites registry and repository at the hinted paths so every hint renders to its retag target', async () => {
    const rule: RetagRule = {
      kind: 'relok8s',
      containerRegistry: '10.16.10.111',
      containerRepository: 'mirror/kairship',
    };
    const result = await relocateChart({ bundle, rule, outDir: outDir() });
    assert.equal(result.name, 'kairship');
    assert.equal(result.version, '0.21.0');
    assert.deepEqual(await renderedAfter(result.dir), targets(rule));
    assert.deepEqual(
      result.images.map((image) => image.to),
      targets(rule),
    );

    const changed = result.changes.map((c) => `${c.file}:${c.path}`).sort();
    assert.deepEqual(changed, [
      'charts/redis/values.yaml:redis.image.registry',
      'charts/redis/values.yaml:redis.image.repository',
      'values.yaml:apiserver.image.registry',
      'values.yaml:apiserver.image.repository',
      'values.yaml:controllerManager.image.registry',
      'values.yaml:controllerManager.image.repository',
      'values.yaml:ui.image.registry',
      'values.yaml:ui.image.repository',
    ]);
    const redis = result.changes.find((c) => c.path === 'redis.image.repository');
    assert.deepEqual(redis, {
      path: 'redis.image.repository',
      file: 'charts/redis/values.yaml',
      from: 'bitnami/redis',
      to: 'mirror/kairship/redis',
    });

    // Exactly those leaves changed, and nothing else in the tree.
    const before = sample.spec.chartFiles;
    const after = await chartFiles(result.dir);
    assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
    const text = (v: string | Buffer | undefined): string => (v === undefined ? '' : v.toString());
    assert.deepEqual(changedLeaves(parse(text(before['values.yaml'])), parse(text(after['values.yaml']))), [
      'apiserver.image.registry',
      'apiserver.image.repository',
      'controllerManager.image.registry',
      'controllerManager.image.repository',
      'ui.image.registry',
      'ui.image.repository',
    ]);
    for (const path of Object.keys(before)) {
      if (path.endsWith('values.yaml')) continue;
      assert.equal(text(after[path]), text(before[path]), `${path} must be untouched`);
    }
  });

  it('keeps the comments and layout of values.yaml', async () => {
    const rule: RetagRule = { kind: 'relok8s', containerRegistry: '10.5.14.40' };
    const result = await relocateChart({ bundle, rule, outDir: outDir() });
    const text = await readFile(join(result.dir, 'values.yaml'), 'utf8');
    assert.equal(text, COMMENTED_VALUES.replaceAll('registry: release.daocloud.io', 'registry: 10.5.14.40'));
    // A registry-only rule leaves every repository as it was.
    assert.deepEqual(
      result.changes.map((c) => c.path).filter((p) => p.endsWith('repository')),
      [],
    );
    assert.deepEqual(await renderedAfter(result.dir), targets(rule));
  });

  it('writes relok8s registry values with the origin appended (appendOriginRegistry)', async () => {
    const rule: RetagRule = {
      kind: 'relok8s',
      containerPrefixRegistry: '10.6.1.1/dce',
      appendOriginRegistry: true,
    };
    const result = await relocateChart({ bundle, rule, outDir: outDir() });
    const registry = result.changes.find((c) => c.path === 'apiserver.image.registry');
    assert.equal(registry?.to, '10.6.1.1/dce/release.daocloud.io');
    assert.equal(
      result.changes.some((c) => c.path === 'apiserver.image.repository'),
      false,
      'the repository stays',
    );
    assert.deepEqual(await renderedAfter(result.dir), targets(rule));
  });

  it('writes values of a packed, aliased subchart into the parent under the alias', async () => {
    const packed = gzipSync(
      await tarBuffer([
        {
          name: 'extra/Chart.yaml',
          data: Buffer.from(stringify({ apiVersion: 'v2', name: 'extra', version: '1.0.0' })),
        },
        {
          name: 'extra/values.yaml',
          data: Buffer.from(
            stringify({ image: { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' } }),
          ),
        },
      ]),
    );
    const chartYaml = stringify({
      apiVersion: 'v2',
      name: 'kairship',
      version: '0.21.0',
      dependencies: [
        { name: 'redis', version: '17.0.0', repository: 'file://charts/redis' },
        { name: 'extra', version: '1.0.0', repository: 'file://charts/extra', alias: 'cache' },
      ],
    });
    const path = await writeBundle(join(dir(), 'packed.bundle.tar'), {
      ...sample.spec,
      hints: [
        ...(sample.spec.hints as string[]),
        '{{ .cache.image.registry }}/{{ .cache.image.repository }}:{{ .cache.image.tag }}',
      ],
      chartFiles: { ...sample.spec.chartFiles, 'Chart.yaml': chartYaml, 'charts/extra-1.0.0.tgz': packed },
    });
    const withPacked = await Bundle.open(path);
    const rule: RetagRule = { kind: 'relok8s', containerRegistry: '10.5.14.40' };
    try {
      const result = await relocateChart({ bundle: withPacked, rule, outDir: outDir() });
      const cache = result.changes.filter((c) => c.path.startsWith('cache.'));
      assert.deepEqual(cache, [
        { path: 'cache.image.registry', file: 'values.yaml', from: 'docker.io', to: '10.5.14.40' },
      ]);
      assert.equal(result.images.at(-1)?.to, '10.5.14.40/library/nginx:1.25');
      const relocated = await writeBundle(join(dir(), 'packed-after.bundle.tar'), {
        ...sample.spec,
        hints: [
          ...(sample.spec.hints as string[]),
          '{{ .cache.image.registry }}/{{ .cache.image.repository }}:{{ .cache.image.tag }}',
        ],
        chartFiles: await chartFiles(result.dir),
      });
      const reopened = await Bundle.open(relocated);
      try {
        assert.deepEqual(
          reopened.info.hints.map((hint) => hint.reference),
          result.images.map((image) => image.to),
        );
      } finally {
        await reopened.close();
      }
    } finally {
      await withPacked.close();
    }
  });

  it('refuses a template whose registry is literal text, before writing anything', async () => {
    const path = await writeBundle(join(dir(), 'literal.bundle.tar'), {
      ...sample.spec,
      hints: ['release.daocloud.io/{{ .apiserver.image.repository }}:{{ .apiserver.image.tag }}'],
    });
    const literal = await Bundle.open(path);
    const out = outDir();
    try {
      await expectAirliftRejection(
        relocateChart({
          bundle: literal,
          rule: { kind: 'relok8s', containerRegistry: '10.5.14.40' },
          outDir: out,
        }),
        ChartRelocateError,
        ErrorCode.ChartRelocateFailed,
        ['kairship-0.21.0', 'hints.yaml[0]', '10.5.14.40/kairship/kairship-apiserver:v0.21.0'],
      );
    } finally {
      await literal.close();
    }
    assert.deepEqual(await readdir(out).catch(() => []), []);
  });

  it('refuses two hints that need one shared value to take two different values', async () => {
    // Both read apiserver.image.repository; with a prefix registry the origin goes into the repository,
    // and the two images come from different registries.
    const path = await writeBundle(join(dir(), 'shared.bundle.tar'), {
      ...sample.spec,
      hints: [
        '{{ .apiserver.image.registry }}/{{ .apiserver.image.repository }}:{{ .apiserver.image.tag }}',
        '{{ .redis.image.registry }}/{{ .apiserver.image.repository }}:{{ .redis.image.tag }}',
      ],
    });
    const shared = await Bundle.open(path);
    try {
      await expectAirliftRejection(
        relocateChart({
          bundle: shared,
          rule: { kind: 'relok8s', containerPrefixRegistry: '10.6.1.1' },
          outDir: outDir(),
        }),
        ChartRelocateError,
        ErrorCode.ChartRelocateFailed,
        ['hints.yaml[0] and hints.yaml[1]', 'apiserver.image.repository'],
      );
    } finally {
      await shared.close();
    }
  });
});
