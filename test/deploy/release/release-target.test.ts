import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { wrapTopLevelAwait } from '../../../deploy/build/sea-script.js';
import { releaseArch, releaseTarget } from '../../../deploy/release/index.js';
import { assertPortableNode } from '../../../deploy/release/portable-node.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { REPO_ROOT } from '../../helpers/paths.js';

describe('release names', () => {
  it('maps Node architectures to release ones and refuses the rest, saying which are supported', () => {
    assert.equal(releaseArch('x64'), 'amd64');
    assert.equal(releaseArch('arm64'), 'arm64');
    assert.throws(() => releaseArch('ia32'), /on a ia32 machine: only x64 \(amd64\) and arm64/);
  });

  it('names the tarball, its top dir and the image by package.json version and architecture', () => {
    const target = releaseTarget(REPO_ROOT, 'arm64');
    assert.deepEqual(target, {
      version: AIRLIFT_VERSION,
      arch: 'arm64',
      topDir: `airlift-${AIRLIFT_VERSION}`,
      tarball: `airlift-${AIRLIFT_VERSION}-linux-arm64.tar.gz`,
      image: `airlift-agent-${AIRLIFT_VERSION}-linux-arm64.image.tar`,
      agentBundle: `airlift-agent_${AIRLIFT_VERSION}.bundle.tar`,
    });
  });
});

describe('the executable script: top-level await inside an async function', () => {
  it('keeps every import at the top, multi-line ones included, and wraps the rest', () => {
    const source = [
      "import { a } from './a.js';",
      'import {',
      '  b,',
      '  c,',
      "} from './b.js';",
      "import './side-effect.js';",
      '',
      'const x = await a();',
      'await b(x);',
    ].join('\n');
    const wrapped = wrapTopLevelAwait(source);
    const start = wrapped.indexOf('(async () => {');
    assert.ok(start > wrapped.indexOf("import './side-effect.js';"), wrapped);
    assert.ok(wrapped.indexOf('const x = await a();') > start, wrapped);
    assert.ok(wrapped.trimEnd().endsWith('})();'), wrapped);
  });

  it('runs as CommonJS, where a bare top-level await is a syntax error', async () => {
    const source = 'const value = await Promise.resolve(41);\nprocess.stdout.write(String(value + 1));';
    const run = (code: string) =>
      execa(process.execPath, ['--input-type=commonjs', '-e', code], { reject: false, timeout: 30_000 });
    assert.notEqual((await run(source)).exitCode, 0);
    const wrapped = await run(wrapTopLevelAwait(source));
    assert.equal(wrapped.exitCode, 0, wrapped.stderr);
    assert.equal(wrapped.stdout, '42');
  });
});

describe('the node an executable is made from', () => {
  it('links only the C and C++ runtimes here (an official Node.js build)', async () => {
    const libraries = await assertPortableNode(process.execPath, new ExecaRunner());
    assert.ok(
      libraries.some((name) => name.startsWith('libc.so')),
      libraries.join(', '),
    );
  });

  it('is refused when it links more, naming the libraries and what to build with', async (t) => {
    // Any executable linking OpenSSL stands in for a distribution's node.
    const curl = await execa('sh', ['-c', 'command -v curl || command -v openssl'], { reject: false });
    if (curl.exitCode !== 0) {
      t.skip('neither curl nor openssl here');
      return;
    }
    await assert.rejects(
      assertPortableNode(curl.stdout.trim(), new ExecaRunner()),
      /links .*lib(ssl|crypto|curl)[^ ]*\.so.* as shared libraries: .*official Node\.js 20 build/,
    );
  });
});
