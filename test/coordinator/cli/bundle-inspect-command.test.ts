import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { runCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

describe('airlift bundle inspect -o (built CLI)', () => {
  let tmp: TempDir;
  let bundle: SampleBundle;
  before(async () => {
    tmp = makeTempDir('airlift-inspect-output');
    bundle = await writeSampleBundle(tmp.path);
  });
  after(async () => {
    await tmp.remove();
  });

  it('json and yaml print the same object; table (alias text) is the default', async () => {
    const json = await runCli(['bundle', 'inspect', bundle.path, '-o', 'json']);
    assert.equal(json.exitCode, 0, json.stderr);
    const yaml = await runCli(['bundle', 'inspect', bundle.path, '--output', 'yaml']);
    assert.equal(yaml.exitCode, 0, yaml.stderr);
    assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
    const table = await runCli(['bundle', 'inspect', bundle.path]);
    const text = await runCli(['bundle', 'inspect', bundle.path, '-o', 'text']);
    assert.match(table.stdout, /^bundle {5}/);
    assert.equal(text.stdout, table.stdout);
  });

  it('takes -o from AIRLIFT_OUTPUT and from the config file; the flag wins', async () => {
    const env = await runCli(['bundle', 'inspect', bundle.path], { AIRLIFT_OUTPUT: 'json' });
    assert.equal(env.exitCode, 0, env.stderr);
    assert.doesNotThrow(() => JSON.parse(env.stdout));
    const config = join(tmp.path, 'airlift.yaml');
    await writeFile(config, 'output: json\nbundle inspect:\n  output: yaml\n');
    const fromFile = await runCli(['--config', config, 'bundle', 'inspect', bundle.path]);
    assert.equal(fromFile.exitCode, 0, fromFile.stderr);
    assert.equal(typeof parse(fromFile.stdout), 'object');
    assert.throws(() => JSON.parse(fromFile.stdout));
    const flag = await runCli(['--config', config, 'bundle', 'inspect', bundle.path, '-o', 'table']);
    assert.match(flag.stdout, /^bundle {5}/);
  });

  it('refuses another format with a short usage error (exit 2)', async () => {
    const run = await runCli(['bundle', 'inspect', bundle.path, '-o', 'xml']);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /argument 'xml' is invalid\. Allowed choices are table, json, yaml\./);
    assert.match(run.stderr, /see 'airlift bundle inspect --help'/);
  });
});
