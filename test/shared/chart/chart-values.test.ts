import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { coalesceValues, renderTemplate, type ChartValues } from '../../../shared/chart/index.js';
import { ConfigInvalidError } from '../../../shared/errors/index.js';

// charts/redis/values.yaml of a parent chart that depends on redis.
const REDIS_DEFAULTS = parseYaml(`
global:
  imageRegistry: ""
  storageClass: standard
image:
  registry: docker.io
  repository: bitnami/redis
  tag: 7.0.5-debian-11-r7
  pullPolicy: IfNotPresent
metrics:
  enabled: false
  image:
    registry: docker.io
    repository: bitnami/redis-exporter
    tag: 1.45.0
`) as ChartValues;

// The parent's values.yaml: its own image, a redis block overriding part of the subchart's defaults.
const PARENT = parseYaml(`
global:
  imageRegistry: release.daocloud.io
image:
  registry: release.daocloud.io
  repository: kairship/kairship-apiserver
  tag: v0.21.0
redis:
  image:
    tag: 7.2.1
  metrics:
    enabled: true
    image: null
`) as ChartValues;

describe('coalesceValues', () => {
  it('puts subchart defaults under the subchart name, overridden key by key by the parent block', () => {
    const values = coalesceValues(PARENT, [{ name: 'redis', values: REDIS_DEFAULTS }]);
    assert.equal(
      renderTemplate(
        '{{ .redis.image.registry }}/{{ .redis.image.repository }}:{{ .redis.image.tag }}',
        values,
      ),
      'docker.io/bitnami/redis:7.2.1',
    );
    assert.deepEqual((values.redis as ChartValues).image, {
      registry: 'docker.io',
      repository: 'bitnami/redis',
      tag: '7.2.1',
      pullPolicy: 'IfNotPresent',
    });
    assert.equal(renderTemplate('{{ .image.repository }}', values), 'kairship/kairship-apiserver');
  });

  it('deletes a default the parent sets to null, as Helm does', () => {
    const values = coalesceValues(PARENT, [{ name: 'redis', values: REDIS_DEFAULTS }]);
    const metrics = (values.redis as ChartValues).metrics as ChartValues;
    assert.deepEqual(metrics, { enabled: true });
    assert.ok(!Object.hasOwn(metrics, 'image'));
  });

  it('passes the parent global down; parent globals win over the subchart’s own', () => {
    const values = coalesceValues(PARENT, [{ name: 'redis', values: REDIS_DEFAULTS }]);
    assert.deepEqual((values.redis as ChartValues).global, {
      imageRegistry: 'release.daocloud.io',
      storageClass: 'standard',
    });
    assert.equal(renderTemplate('{{ .redis.global.imageRegistry }}', values), 'release.daocloud.io');
  });

  it('merges global tables top-down and reaches sub-subcharts', () => {
    const parent = { global: { images: { pullSecrets: ['a'], registry: 'p.io' } } };
    const sub = { global: { images: { registry: 's.io', policy: 'Always' } }, image: { tag: '1' } };
    const leaf = { image: { tag: '2' } };
    const values = coalesceValues(parent, [
      { name: 'mid', values: sub, subcharts: [{ name: 'leaf', values: leaf }] },
    ]);
    const mid = values.mid as ChartValues;
    assert.deepEqual(mid.global, { images: { pullSecrets: ['a'], registry: 'p.io', policy: 'Always' } });
    assert.deepEqual((mid.leaf as ChartValues).global, mid.global);
    assert.equal(
      renderTemplate('{{ .mid.leaf.image.tag }}/{{ .mid.leaf.global.images.registry }}', values),
      '2/p.io',
    );
  });

  it('keeps the parent value when types clash, and adds a subchart with no parent block', () => {
    const values = coalesceValues({ a: { image: 'x:1' } }, [
      { name: 'a', values: { image: { registry: 'r' } } },
      { name: 'b', values: { image: { tag: '3' } } },
    ]);
    assert.equal((values.a as ChartValues).image, 'x:1');
    assert.deepEqual((values.b as ChartValues).image, { tag: '3' });
    assert.deepEqual((values.b as ChartValues).global, {});
  });

  it('does not modify or share its inputs', () => {
    const parentCopy = structuredClone(PARENT);
    const defaultsCopy = structuredClone(REDIS_DEFAULTS);
    const values = coalesceValues(PARENT, [{ name: 'redis', values: REDIS_DEFAULTS }]);
    assert.deepEqual(PARENT, parentCopy);
    assert.deepEqual(REDIS_DEFAULTS, defaultsCopy);
    ((values.redis as ChartValues).image as ChartValues).tag = 'changed';
    (values.image as ChartValues).tag = 'changed';
    assert.deepEqual(PARENT, parentCopy);
    assert.deepEqual(REDIS_DEFAULTS, defaultsCopy);
  });

  it('refuses a parent block for a subchart that is not a map', () => {
    assert.throws(
      () => coalesceValues({ redis: 'yes' }, [{ name: 'redis', values: {} }]),
      (err: unknown) =>
        err instanceof ConfigInvalidError &&
        err.context.field === 'redis' &&
        /got a string/.test(err.message),
    );
  });

  it('copies a __proto__ key as data, never as a prototype', () => {
    const defaults = parseYaml('__proto__:\n  polluted: true\n') as ChartValues;
    const values = coalesceValues({}, [{ name: 'x', values: defaults }]);
    const x = values.x as ChartValues;
    assert.deepEqual(Object.getOwnPropertyDescriptor(x, '__proto__')?.value, { polluted: true });
    assert.equal(Object.getPrototypeOf(x), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('property: the parent block wins key by key, defaults fill the rest', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'tag', 'registry');
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    const flat = fc.dictionary(key, scalar);
    fc.assert(
      fc.property(flat, flat, (block, defaults) => {
        const values = coalesceValues({ sub: block }, [{ name: 'sub', values: defaults }]);
        const { global, ...rest } = values.sub as ChartValues;
        assert.deepEqual(global, {});
        assert.deepEqual(rest, { ...defaults, ...block });
      }),
    );
  });
});
