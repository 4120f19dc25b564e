import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DockerRuntime } from '../../../agent/index.js';
import { RegistryImageNotFoundError } from '../../../shared/errors/index.js';
import { startDockerd, type DockerdInstance } from '../../helpers/dockerd-instance.js';
import { startRegistry, type RegistryInstance } from '../../helpers/registry-instance.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { pushImage } from './registry-push.js';

// Docker speaks plain HTTP to registries on 127.0.0.0/8 by default: no daemon.json needed here.
describe('Docker: resolve and pull from a registry', { timeout: 120_000 }, () => {
  let daemon: DockerdInstance | undefined;
  let registry: RegistryInstance | undefined;
  let tmp: TempDir | undefined;
  let runtime: DockerRuntime;
  let present: string;
  let configDigest: string;

  before(async () => {
    tmp = makeTempDir('airlift-docker-pull');
    registry = await startRegistry();
    daemon = await startDockerd();
    runtime = new DockerRuntime({ host: daemon.host });
    present = `${registry.host}/team/app:v1`;
    configDigest = await pushImage(tmp.path, present, 'docker-app');
  });
  after(async () => {
    await runtime.close();
    await daemon?.stop();
    await registry?.stop();
    await tmp?.remove();
  });

  it('resolves a present image, names a missing one, and pulls to the bundle’s config digest', async () => {
    const resolved = await runtime.resolve(present, {});
    assert.match(resolved.digest, /^sha256:[a-f0-9]{64}$/);
    await assert.rejects(runtime.resolve(`${registry?.host ?? ''}/team/missing:v1`, {}), (err) => {
      assert.ok(err instanceof RegistryImageNotFoundError, String(err));
      return true;
    });
    assert.equal(await runtime.inspect(present), undefined);
    await runtime.pull(present, {});
    assert.deepEqual(await runtime.inspect(present), { reference: present, configDigest, usable: true });
  });
});
