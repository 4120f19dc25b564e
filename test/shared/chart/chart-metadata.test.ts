import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseChartMetadata } from '../../../shared/chart/index.js';
import { ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';

const FILE = 'original-chart/Chart.yaml';

// DaoCloud dao-2048 charts/Chart.yaml (comments shortened).
const DAO_2048_CHART = `apiVersion: v2
name: dao-2048
description: 2048 is a number puzzle game.
icon: https://daocloud.github.io/dao-2048/meta/apple-touch-icon.png
sources:
  - https://github.com/DaoCloud/dao-2048/
# A chart can be either an 'application' or a 'library' chart.
type: application
version: 1.4.1
appVersion: v1.4.1
`;

/** Asserts `fn` throws ConfigInvalidError(FILE, field, …) whose message matches `message`. */
function assertInvalid(text: string, field: string, message: RegExp): void {
  assert.throws(
    () => parseChartMetadata(text, FILE),
    (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError, `expected ConfigInvalidError, got ${String(err)}`);
      assert.equal(err.code, ErrorCode.ConfigInvalid);
      assert.equal(err.context.file, FILE);
      assert.equal(err.context.field, field);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseChartMetadata', () => {
  it('reads the dao-2048 Chart.yaml, leaving out what it does not declare', () => {
    const chart = parseChartMetadata(DAO_2048_CHART, FILE);
    assert.deepEqual(chart, {
      apiVersion: 'v2',
      name: 'dao-2048',
      description: '2048 is a number puzzle game.',
      type: 'application',
      version: '1.4.1',
      appVersion: 'v1.4.1',
    });
    assert.ok(!('dependencies' in chart));
  });

  it('reads dependencies with alias, condition and tags', () => {
    const chart = parseChartMetadata(
      `apiVersion: v2
name: kairship
version: 0.21.0
dependencies:
  - name: redis
    version: 17.x.x
    repository: https://charts.bitnami.com/bitnami
    alias: cache
    condition: cache.enabled
    tags: [storage]
  - name: common
    repository: file://../common
`,
      FILE,
    );
    assert.deepEqual(chart.dependencies, [
      {
        name: 'redis',
        version: '17.x.x',
        repository: 'https://charts.bitnami.com/bitnami',
        alias: 'cache',
        condition: 'cache.enabled',
        tags: ['storage'],
      },
      { name: 'common', repository: 'file://../common' },
    ]);
  });

  it('keeps numeric-looking versions as written', () => {
    const chart = parseChartMetadata('apiVersion: v1\nname: x\nversion: 1.10\nappVersion: 2.0\n', FILE);
    assert.equal(chart.version, '1.10');
    assert.equal(chart.appVersion, '2.0');
  });

  it('accepts the versions Helm accepts', () => {
    for (const version of ['0.3.1', 'v0.14.0', '1.2', '1', '1.0.0-rc.1+build.5']) {
      assert.equal(parseChartMetadata(`name: x\nversion: ${version}\n`, FILE).version, version);
    }
  });

  it('names a missing or invalid field', () => {
    assertInvalid('name: x\n', 'version', /^original-chart\/Chart\.yaml: version: required$/);
    assertInvalid('name: x\nversion:\n', 'version', /version: required/);
    assertInvalid('version: 1.0.0\n', 'name', /name: required/);
    assertInvalid('name: ""\nversion: 1.0.0\n', 'name', /must not be empty/);
    assertInvalid('name: [a]\nversion: 1.0.0\n', 'name', /expected a string, got a list/);
    assertInvalid('name: x\nversion: latest\n', 'version', /not a semantic version/);
    assertInvalid('apiVersion: v3\nname: x\nversion: 1.0.0\n', 'apiVersion', /must be v1 or v2/);
    assertInvalid(
      'name: x\nversion: 1.0.0\ndependencies:\n  - name: a\n  - version: 1.0.0\n',
      'dependencies[1].name',
      /required/,
    );
    assertInvalid(
      'name: x\nversion: 1.0.0\ndependencies: redis\n',
      'dependencies',
      /expected a list, got a string/,
    );
  });

  it('refuses a document that is not a map, and names a YAML syntax error', () => {
    assertInvalid('- name: x\n', '', /expected a map, got a list/);
    assertInvalid('', '', /expected a map, got null/);
    assertInvalid('name: x\nversion: [1.0.0\n', '', /YAML syntax error at line \d+, column \d+/);
  });
});
