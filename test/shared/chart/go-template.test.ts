import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatGoNumber,
  parseTemplate,
  renderTemplate,
  templateFieldPaths,
} from '../../../shared/chart/index.js';
import { ErrorCode, TemplateError } from '../../../shared/errors/index.js';

// FACTS.md, hints.yaml: DaoCloud dao-2048 `charts/.relok8s-images.yaml`, verbatim.
const DAO_2048_HINT = '{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}';
const DAO_2048_VALUES = {
  replicaCount: 1,
  image: { registry: 'ghcr.io', repository: 'daocloud/dao-2048', pullPolicy: 'IfNotPresent', tag: 'v1.4.1' },
};

/** Runs `fn`, asserts it throws a TemplateError, and returns it for further checks. */
function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.TemplateError);
    return err;
  }
  assert.fail('expected a TemplateError');
}

describe('renderTemplate', () => {
  it('renders the dao-2048 hint from FACTS.md', () => {
    assert.equal(renderTemplate(DAO_2048_HINT, DAO_2048_VALUES), 'ghcr.io/daocloud/dao-2048:v1.4.1');
  });

  it('renders a parsed template again with other values', () => {
    const parsed = parseTemplate(DAO_2048_HINT);
    const moved = { image: { ...DAO_2048_VALUES.image, registry: '10.5.14.40' } };
    assert.equal(renderTemplate(parsed, DAO_2048_VALUES), 'ghcr.io/daocloud/dao-2048:v1.4.1');
    assert.equal(renderTemplate(parsed, moved), '10.5.14.40/daocloud/dao-2048:v1.4.1');
  });

  it('reads subchart values under the subchart name, hyphens included (DaoCloud index rewrite)', () => {
    const values = { 'sub-chart': { image: { registry: 'quay.io', repository: 'a/b', tag: '1' } } };
    const hint =
      '{{ .sub-chart.image.registry }}/{{ .sub-chart.image.repository }}:{{ .sub-chart.image.tag }}';
    assert.equal(renderTemplate(hint, values), 'quay.io/a/b:1');
  });

  it('applies trim markers to the neighbouring text only', () => {
    const values = { a: 'A', b: 'B' };
    assert.equal(renderTemplate('  x  {{- .a -}}  y {{ .b }} ', values), '  xAy B ');
    assert.equal(renderTemplate('reg\n\t{{- .a }}/{{ .b -}}\n  :1', values), 'regA/B:1');
    // Go reads "{{-3}}" as the number -3: the marker needs a space after it.
    assert.equal(renderTemplate('x {{-3}}', values), 'x -3');
  });

  it('drops comments, trimming around them when asked', () => {
    assert.equal(renderTemplate('{{/* registry */}}{{ .a }} {{- /* x */ -}} :1', { a: 'r' }), 'r:1');
  });

  it('uses default for a missing or empty value and keeps a set one', () => {
    const hint = '{{ .image.registry | default "docker.io" }}/{{ .image.repository }}';
    assert.equal(renderTemplate(hint, { image: { repository: 'x/y' } }), 'docker.io/x/y');
    assert.equal(renderTemplate(hint, { image: { registry: '', repository: 'x/y' } }), 'docker.io/x/y');
    assert.equal(renderTemplate(hint, { image: { registry: 'quay.io', repository: 'x/y' } }), 'quay.io/x/y');
    const global = '{{ default .image.registry .global.imageRegistry }}/x';
    assert.equal(renderTemplate(global, { image: { registry: 'a.io' } }), 'a.io/x');
    assert.equal(
      renderTemplate(global, { image: { registry: 'a.io' }, global: { imageRegistry: 'b.io' } }),
      'b.io/x',
    );
  });

  it('decodes Go string literal escapes and raw strings', () => {
    assert.equal(renderTemplate('{{ default "a\\tb\\u00e9\\x41\\101\\"" .x }}', {}), 'a\tbéAA"');
    assert.equal(renderTemplate('{{ default `raw\\n` .x }}', {}), 'raw\\n');
  });

  it('prints numbers and booleans as Go prints float64 and bool', () => {
    assert.equal(renderTemplate('{{ .t }}', { t: 8 }), '8');
    assert.equal(renderTemplate('{{ .t }}', { t: 1.2 }), '1.2');
    assert.equal(renderTemplate('{{ .t }}', { t: 1000000 }), '1e+06');
    assert.equal(renderTemplate('{{ .t }}', { t: true }), 'true');
    assert.equal(formatGoNumber(123456), '123456');
    assert.equal(formatGoNumber(1234567), '1.234567e+06');
    assert.equal(formatGoNumber(0.0001), '0.0001');
    assert.equal(formatGoNumber(0.00001), '1e-05');
    assert.equal(formatGoNumber(-2.5e-7), '-2.5e-07');
    assert.equal(formatGoNumber(1e21), '1e+21');
  });

  it('names the field path when a value is missing', () => {
    const err = templateError(() => renderTemplate(DAO_2048_HINT, { image: { repository: 'r', tag: 't' } }));
    assert.equal(err.context.field, 'image.registry');
    assert.match(err.message, /value image\.registry is not set/);
    const nested = templateError(() => renderTemplate('{{ .redis.image.tag }}', {}));
    assert.equal(nested.context.field, 'redis.image.tag');
    const nulled = templateError(() => renderTemplate('{{ .a }}', { a: null }));
    assert.equal(nulled.context.field, 'a');
  });

  it('says how to fix a .Values. prefix', () => {
    const err = templateError(() => renderTemplate('{{ .Values.image.tag }}', { image: { tag: '1' } }));
    assert.match(err.message, /write \.image\.tag/);
  });

  it('refuses an empty value read straight from a field', () => {
    const err = templateError(() =>
      renderTemplate(DAO_2048_HINT, { image: { registry: '', repository: 'r', tag: 't' } }),
    );
    assert.equal(err.context.field, 'image.registry');
    assert.match(err.message, /is empty/);
  });

  it('refuses a map or list where a single value is needed, and a path through a scalar', () => {
    assert.match(templateError(() => renderTemplate('{{ .image }}', DAO_2048_VALUES)).message, /is a map/);
    assert.match(templateError(() => renderTemplate('{{ .l }}', { l: ['a'] })).message, /is a list/);
    assert.match(templateError(() => renderTemplate('{{ . }}', { a: 1 })).message, /column 1 is a map/);
    const through = templateError(() => renderTemplate('{{ .image.tag.major }}', DAO_2048_VALUES));
    assert.match(through.message, /image\.tag is a string, so image\.tag\.major cannot be read/);
  });

  it('reads own values only, never object internals', () => {
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const err = templateError(() => renderTemplate(`{{ .${key} }}`, { a: 'x' }));
      assert.equal(err.context.field, key);
      assert.match(err.message, /is not set/);
      assert.equal(renderTemplate(`{{ .${key} | default "none" }}`, { a: 'x' }), 'none');
    }
    const values = JSON.parse('{"__proto__": {"tag": "own"}}') as Record<string, unknown>;
    assert.equal(renderTemplate('{{ .__proto__.tag }}', values), 'own');
  });
});

describe('parseTemplate syntax errors', () => {
  const cases: [template: string, message: RegExp][] = [
    ['{{ .image.registry }}/{{ .image.repository', /unclosed action at column 23/],
    ['{{ if .a }}x{{ end }}', /"if" actions are not supported in image hints at column 4/],
    ['{{ .a | quote }}', /function "quote" is not defined .*default.* at column 9/],
    ['{{ $x := .a }}', /variables .* at column 4/],
    ['{{ (.a) }}', /parentheses .* at column 4/],
    ['a{{ }}', /empty action at column 2/],
    ['{{ .a | }}', /missing command after "\|" at column 7/],
    ['{{ | .a }}', /missing command before "\|" at column 4/],
    ['{{ .a .b }}', /only a function takes arguments at column 7/],
    ['{{ .a | .b }}', /only a function call can follow "\|" at column 9/],
    ['{{ default }}', /default takes 1 to 2 arguments, got 0/],
    ['{{ .a | default "x" "y" }}', /default takes 1 to 2 arguments, got 3/],
    ['{{ default default .a }}', /cannot be an argument/],
    ['{{ default "x }}', /unterminated quoted string at column 12/],
    ['{{ default "\\q" .a }}', /invalid escape/],
    ['{{ .a. }}', /a field name must follow "\." at column 7/],
    ['{{ .a"b" }}', /missing space between operands at column 6/],
    ['{{ 12ab }}', /bad number syntax/],
    ['{{ # }}', /unexpected "#"/],
    ['{{/* never closed }}', /unclosed comment/],
    ['{{/* c */ .a }}', /comment ends before the closing delimiter/],
    ['registry/\n  {{ .a', /unclosed action at line 2, column 3/],
  ];
  for (const [template, message] of cases) {
    it(`rejects ${JSON.stringify(template)}`, () => {
      const err = templateError(() => parseTemplate(template));
      assert.match(err.message, message);
      assert.ok(err.message.startsWith(`template ${JSON.stringify(template)}: `));
    });
  }
});

describe('templateFieldPaths', () => {
  it('lists the value paths of the FACTS.md hint in order', () => {
    assert.deepEqual(templateFieldPaths(DAO_2048_HINT), ['image.registry', 'image.repository', 'image.tag']);
  });

  it('includes default arguments once each, and nothing for literals or dot', () => {
    const hint =
      '{{ default .image.registry .global.imageRegistry }}/{{ .image.repository }}:{{ .image.tag | default "1" }}{{ . | default "x" }}{{ .image.registry }}';
    assert.deepEqual(templateFieldPaths(hint), [
      'image.registry',
      'global.imageRegistry',
      'image.repository',
      'image.tag',
    ]);
  });
});

describe('properties', () => {
  const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/);
  // Text between actions: anything without a brace, so it can never open or close an action.
  const text = fc.string({ maxLength: 6 }).filter((s) => !s.includes('{') && !s.includes('}'));
  const space = fc.constantFrom('', ' ', '  ', '\t');
  const part = fc.record({
    path: fc.array(key, { minLength: 1, maxLength: 4 }),
    value: fc.string({ minLength: 1, maxLength: 12 }),
    before: text,
    left: space,
    right: space,
  });

  it('renders field paths to their values joined by the text around them', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), text, (parts, tail) => {
        const values: Record<string, unknown> = {};
        let template = '';
        let expected = '';
        parts.forEach(({ path, value, before, left, right }, i) => {
          // A distinct top-level key per part keeps the paths from colliding.
          const full = [`p${i}`, ...path];
          let node = values;
          for (const k of full.slice(0, -1)) {
            const next: Record<string, unknown> = {};
            node[k] = next;
            node = next;
          }
          node[full.at(-1)!] = value;
          template += `${before}{{${left}.${full.join('.')}${right}}}`;
          expected += before + value;
        });
        template += tail;
        expected += tail;
        assert.equal(renderTemplate(template, values), expected);
        assert.deepEqual(
          templateFieldPaths(template),
          parts.map(({ path }, i) => [`p${i}`, ...path].join('.')),
        );
      }),
    );
  });

  it('either parses any string or throws a TemplateError', () => {
    const alphabet = fc.constantFrom(
      '{',
      '}',
      '{{',
      '}}',
      '-',
      ' ',
      '.',
      'a',
      '|',
      '"',
      '`',
      '/',
      '*',
      'default',
      '$',
      '(',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 20 }), (pieces) => {
        const source = pieces.join('');
        try {
          parseTemplate(source);
        } catch (err) {
          assert.ok(err instanceof TemplateError, `${JSON.stringify(source)} threw ${String(err)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
