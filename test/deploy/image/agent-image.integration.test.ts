import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import {
  agentBundleFileName,
  agentImageReference,
  buildAgentImage,
  type AgentImage,
} from '../../../deploy/image/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { requireBinary } from '../../helpers/host-prereqs.js';
import { runCli } from '../../helpers/run-cli.js';
import { seaExecutable } from '../../helpers/sea-executable.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const VERSION = '0.1.0-test';
const REGISTRY = '10.16.10.111';
// The agent's fallback importer and untagger, put in the image as the release does.
const CTR = requireBinary('ctr');

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function ctr(instance: ContainerdInstance, args: readonly string[], timeout = 60_000) {
  return execa('ctr', ['-a', instance.address, '-n', instance.namespace, ...args], {
    timeout,
    reject: false,
  });
}

/** Loads a bundle with the built CLI into `instance`'s k8s.io namespace, retagged to REGISTRY. */
async function nodeLoad(instance: ContainerdInstance, bundle: string): Promise<void> {
  const run = await runCli([
    'node',
    'load',
    bundle,
    '--image-registry',
    REGISTRY,
    '--runtime',
    'containerd',
    '--containerd-address',
    instance.address,
    '--containerd-namespace',
    instance.namespace,
    '--node',
    'worker-1',
  ]);
  assert.equal(run.exitCode, 0, `node load: ${run.stderr}\n${run.stdout}`);
  assert.match(run.stdout, /1\/1 references verified on worker-1/);
}

/** Runs the image's executable with `args` in a fresh container on the empty base; returns stdout. */
async function runInImage(instance: ContainerdInstance, image: string, id: string, args: string[]) {
  const run = await ctr(instance, ['run', '--rm', '--runc-root', instance.runcRoot, image, id, ...args]);
  assert.equal(run.exitCode, 0, `ctr run ${args.join(' ')}: ${run.stderr}\n${run.stdout}`);
  return run.stdout.trim();
}

describe('agent image (built from an executable and its libraries, loaded by airlift node load)', () => {
  let tmp: TempDir;
  let ctrd: ContainerdInstance;
  let first: AgentImage;
  let second: AgentImage;

  before(async () => {
    tmp = makeTempDir('airlift-agent-image');
    ctrd = await startContainerd();
    first = await buildAgentImage({
      executable: process.execPath,
      version: VERSION,
      outFile: join(tmp.path, 'a.image.tar'),
      bundleFile: join(tmp.path, agentBundleFileName(VERSION)),
      helpers: [CTR],
    });
    second = await buildAgentImage({
      executable: process.execPath,
      version: VERSION,
      outFile: join(tmp.path, 'b.image.tar'),
      helpers: [CTR],
    });
  });
  after(async () => {
    // Either may be missing when before() failed half-way.
    await (ctrd as ContainerdInstance | undefined)?.stop();
    await (tmp as TempDir | undefined)?.remove();
  });

  it('two builds give byte-identical archives: same config digest, same layer digest', async () => {
    assert.equal(first.configDigest, second.configDigest);
    assert.equal(first.layer.digest, second.layer.digest);
    assert.equal(await sha256File(first.file), await sha256File(second.file));
  });

  it('holds the executable at /usr/local/bin/airlift and every library at the path ldd names', async () => {
    const paths = first.layer.files.map((f) => f.path);
    assert.deepEqual(paths.slice(0, 2), ['/usr/local/bin/airlift', '/usr/local/bin/ctr']);
    assert.ok(
      paths.some((p) => /\/ld-linux[^/]*\.so\.\d+$/.test(p)),
      `the dynamic loader: ${paths.join(' ')}`,
    );
    assert.ok(
      paths.some((p) => /\/libc\.so\.6$/.test(p)),
      paths.join(' '),
    );
    const layerName = `${first.layer.digest.slice('sha256:'.length)}.tar.gz`;
    await execa('tar', ['-xf', first.file, '-C', tmp.path, layerName], { timeout: 60_000 });
    const listed = await execa('tar', ['-tzf', join(tmp.path, layerName)], { timeout: 60_000 });
    const members = listed.stdout.split('\n');
    for (const path of [...paths, '/tmp/', '/etc/passwd']) assert.ok(members.includes(path.slice(1)), path);
    assert.deepEqual(members, [...members].sort(), 'members sorted');
  });

  it('wraps the archive as a bundle that airlift itself opens cleanly', async () => {
    const bundle = await Bundle.open(first.bundleFile!);
    try {
      assert.equal(bundle.info.name, 'airlift-agent');
      assert.equal(bundle.info.version, VERSION);
      assert.deepEqual(bundle.info.crossCheck.missingFromArchive, []);
      assert.deepEqual(bundle.info.crossCheck.unrenderable, []);
      const [image, ...rest] = bundle.info.archive.images;
      assert.equal(rest.length, 0);
      assert.ok(image);
      assert.deepEqual(image.references, [agentImageReference(VERSION)]);
      assert.equal(image.configDigest, first.configDigest);
      assert.equal(bundle.info.imagesTar.length, first.size);
    } finally {
      await bundle.close();
    }
  });

  it('airlift node load --image-registry puts it into containerd (k8s.io) under both names', async () => {
    await nodeLoad(ctrd, first.bundleFile!);
    const listed = await ctr(ctrd, ['images', 'ls', '-q']);
    const names = listed.stdout.split('\n');
    assert.ok(names.includes(agentImageReference(VERSION)), listed.stdout);
    assert.ok(names.includes(`${REGISTRY}/airlift/agent:${VERSION}`), listed.stdout);
  });

  it('runs on its empty base: the loader and libraries are complete', async () => {
    const image = `${REGISTRY}/airlift/agent:${VERSION}`;
    assert.equal(
      await runInImage(ctrd, image, 'agent-image-version', ['/usr/local/bin/airlift', '--version']),
      process.version,
    );
    // Beyond start-up: crypto, zlib, the passwd entry and a writable /tmp.
    const script =
      "const z=require('zlib'),c=require('crypto'),f=require('fs'),o=require('os');" +
      "f.writeFileSync('/tmp/x','ok');" +
      "console.log([o.userInfo().username,c.createHash('sha256').update(z.gunzipSync(z.gzipSync('a'))).digest('hex').slice(0,8),f.readFileSync('/tmp/x','utf8')].join(' '))";
    assert.equal(
      await runInImage(ctrd, image, 'agent-image-script', ['/usr/local/bin/airlift', '-e', script]),
      'root ca978112 ok',
    );
    const ctrVersion = await runInImage(ctrd, image, 'agent-image-ctr', ['/usr/local/bin/ctr', '--version']);
    assert.match(ctrVersion, /^ctr /);
  });

  it('the release executable runs in its image (airlift --version)', async () => {
    const built = await buildAgentImage({
      executable: await seaExecutable(),
      version: '0.1.0-release',
      outFile: join(tmp.path, 'release.image.tar'),
      bundleFile: join(tmp.path, agentBundleFileName('0.1.0-release')),
    });
    await nodeLoad(ctrd, built.bundleFile!);
    const out = await runInImage(ctrd, `${REGISTRY}/airlift/agent:0.1.0-release`, 'agent-image-release', [
      '/usr/local/bin/airlift',
      '--version',
    ]);
    assert.match(out, /^\d+\.\d+\.\d+.* \(commit /);
  });
});
