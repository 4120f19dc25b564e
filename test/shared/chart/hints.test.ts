import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { coalesceValues, parseHints, renderHints, type ChartValues } from '../../../shared/chart/index.js';
import { ConfigInvalidError, TemplateError } from '../../../shared/errors/index.js';

const FILE = 'dao-2048_1.4.1.bundle.tar!hints.yaml';

// FACTS.md, hints.yaml example (DaoCloud dao-2048 `charts/.relok8s-images.yaml`), verbatim.
const DAO_2048_HINTS = '- "{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}"';

/** Asserts `fn` throws ConfigInvalidError for `field` with a message matching `message`. */
function assertConfigInvalid(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigInvalidError, `expected ConfigInvalidError, got ${String(err)}`);
    assert.equal(err.context.field, field);
    assert.equal(err.context.file, FILE);
    assert.match(err.message, message);
    return true;
  });
}

describe('parseHints', () => {
  it('reads the FACTS.md example', () => {
    assert.deepEqual(parseHints(DAO_2048_HINTS, FILE), [
      '{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}',
    ]);
  });

  it('reads a document marker, comments and single-quoted templates', () => {
    const text = '---\n# images\n- \'{{ .a }}:{{ .b }}\'\n- "{{ .redis.image }}"\n';
    assert.deepEqual(parseHints(text, FILE), ['{{ .a }}:{{ .b }}', '{{ .redis.image }}']);
  });

  it('treats an empty file as no images, as relok8s does', () => {
    assert.deepEqual(parseHints('', FILE), []);
    assert.deepEqual(parseHints('# nothing\n', FILE), []);
    assert.deepEqual(parseHints('[]', FILE), []);
  });

  it('names the index of an entry that is not a string', () => {
    const text = '- "{{ .a }}"\n- "{{ .b }}"\n- "{{ .c }}"\n- image: "{{ .d }}"\n';
    assertConfigInvalid(() => parseHints(text, FILE), '[3]', /\[3\]: expected a string, got a map/);
    assertConfigInvalid(() => parseHints('- 12\n', FILE), '[0]', /got a number/);
    assertConfigInvalid(() => parseHints('- "{{ .a }}"\n- \n', FILE), '[1]', /got null/);
    assertConfigInvalid(() => parseHints('- " "\n', FILE), '[0]', /non-empty/);
  });

  it('refuses a document that is not a list', () => {
    assertConfigInvalid(
      () => parseHints('images: []\n', FILE),
      '',
      /expected a list of image templates, got a map/,
    );
    assertConfigInvalid(() => parseHints('"{{ .a }}"\n', FILE), '', /got a string/);
  });

  it('names line and column of a YAML syntax error', () => {
    assertConfigInvalid(
      () => parseHints('- "{{ .a }}"\n- "{{ .b }}\n', FILE),
      '',
      /YAML syntax error at line \d+, column \d+: Missing closing "quote/,
    );
    assertConfigInvalid(
      () => parseHints('- a\n  - b: [\n', FILE),
      '',
      /YAML syntax error at line \d+, column \d+/,
    );
  });
});

describe('renderHints', () => {
  it('renders the FACTS.md example against the chart values', () => {
    const values = parseYaml(
      'image:\n  registry: ghcr.io\n  repository: daocloud/dao-2048\n  tag: v1.4.1\n',
    ) as ChartValues;
    assert.deepEqual(renderHints(parseHints(DAO_2048_HINTS, FILE), values), [
      {
        template: '{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}',
        index: 0,
        reference: 'ghcr.io/daocloud/dao-2048:v1.4.1',
        fields: ['image.registry', 'image.repository', 'image.tag'],
      },
    ]);
  });

  it('renders subchart hints from charts/redis/values.yaml defaults overridden by the parent', () => {
    const parent = parseYaml(
      'image: {registry: a.io, repository: app, tag: "1"}\nredis:\n  image:\n    tag: 7.2.1\n',
    ) as ChartValues;
    const redis = parseYaml(
      'image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.0.5\n',
    ) as ChartValues;
    const hints = parseHints(
      '- "{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}"\n' +
        '- "{{ .redis.image.registry }}/{{ .redis.image.repository }}:{{ .redis.image.tag }}"\n',
      FILE,
    );
    const rendered = renderHints(hints, coalesceValues(parent, [{ name: 'redis', values: redis }]));
    assert.deepEqual(
      rendered.map((h) => h.reference),
      ['a.io/app:1', 'docker.io/bitnami/redis:7.2.1'],
    );
  });

  it('reports every bad template and still renders the good ones', () => {
    const values = { image: { registry: 'r.io', repository: 'x', tag: '1' } };
    const rendered = renderHints(
      [
        '{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}',
        '{{ .image.registry',
        '{{ .redis.image.tag }}',
        '{{ .image.repository }}:{{ .image.tag }}',
      ],
      values,
    );
    assert.deepEqual(
      rendered.map((h) => h.index),
      [0, 1, 2, 3],
    );
    assert.equal(rendered[0]!.reference, 'r.io/x:1');
    assert.ok(rendered[1]!.error instanceof TemplateError);
    assert.match(rendered[1]!.error.message, /unclosed action/);
    assert.deepEqual(rendered[1]!.fields, []);
    assert.equal(rendered[1]!.reference, undefined);
    assert.equal(rendered[2]!.error?.context.field, 'redis.image.tag');
    assert.deepEqual(rendered[2]!.fields, ['redis.image.tag']);
    assert.ok(!('reference' in rendered[2]!));
    assert.equal(rendered[3]!.reference, 'x:1');
    assert.ok(!('error' in rendered[3]!));
  });
});
