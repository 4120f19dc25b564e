import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCheckRegistryImagesJob } from '../../../agent/daemon/check-registry-images-job.js';
import type { RegistryPullOptions, ResolvedImage } from '../../../agent/index.js';
import {
  jobEventSchema,
  type CheckRegistryImagesJob,
  type CheckRegistryImagesPayload,
  type JobEvent,
} from '../../../shared/control/index.js';
import { RegistryImageNotFoundError, RegistryPullError } from '../../../shared/errors/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { openMessage } from '../../../shared/trust/index.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';
import { TestKeys } from '../../helpers/test-keys.js';

const CONFIG_A = `sha256:${'a'.repeat(64)}`;
const CONFIG_B = `sha256:${'b'.repeat(64)}`;
const MANIFEST = `sha256:${'c'.repeat(64)}`;
const REF_A = 'reg.local:5000/app/a:1';
const REF_B = 'reg.local:5000/app/b:1';

/** The fake runtime plus a registry it resolves and pulls from, recording the options it was given. */
class RegistryFakeRuntime extends FakeRuntime {
  readonly registry = new Map<string, { configDigest: string }>();
  readonly options: RegistryPullOptions[] = [];
  unreachable = false;

  constructor() {
    super(() => undefined);
  }

  resolve(reference: string, options: RegistryPullOptions): Promise<ResolvedImage> {
    this.calls.push(`resolve ${reference}`);
    this.options.push(options);
    if (this.unreachable) {
      return Promise.reject(new RegistryPullError('fake', 'resolve', reference, 'connection refused'));
    }
    const image = this.registry.get(reference);
    if (image === undefined) {
      return Promise.reject(new RegistryImageNotFoundError('fake', reference, 'not found'));
    }
    return Promise.resolve({ digest: MANIFEST, configDigest: image.configDigest });
  }

  pull(reference: string): Promise<void> {
    this.calls.push(`pull ${reference}`);
    const image = this.registry.get(reference);
    if (image === undefined) {
      return Promise.reject(new RegistryImageNotFoundError('fake', reference, 'not found'));
    }
    this.images.set(reference, { configDigest: image.configDigest, usable: true });
    return Promise.resolve();
  }
}

const keys = new TestKeys();

function job(payload: Partial<CheckRegistryImagesPayload> = {}): CheckRegistryImagesJob {
  return {
    v: 1,
    kind: 'check-registry-images',
    jobId: 'r20260101-000000-abcd-n0',
    runId: 'r20260101-000000-abcd',
    node: 'node-a',
    issuedAt: new Date().toISOString(),
    payload: {
      images: [
        { reference: REF_A, configDigest: CONFIG_A },
        { reference: REF_B, configDigest: CONFIG_B },
      ],
      prePull: false,
      access: { plainHttp: [] },
      timeoutMs: 10_000,
      ...payload,
    },
  };
}

async function run(
  runtime: RegistryFakeRuntime | FakeRuntime,
  payload: Partial<CheckRegistryImagesPayload> = {},
): Promise<{ report: Awaited<ReturnType<typeof runCheckRegistryImagesJob>>; events: JobEvent[] }> {
  const events: JobEvent[] = [];
  const report = await runCheckRegistryImagesJob(
    job(payload),
    {
      node: 'node-a',
      runtime,
      logger: silentLogger(),
      sealer: keys.agentTrust('node-a').sealer,
      publish: (subject, data) => {
        events.push(
          openMessage(jobEventSchema, 'event', subject, data, keys.coordinatorTrust().policy).message,
        );
      },
    },
    new AbortController().signal,
    () => undefined,
  );
  return { report, events };
}

function phases(events: readonly JobEvent[]): string[] {
  return events.flatMap((e) => (e.body.type === 'phase' ? [e.body.phase] : []));
}

describe('runCheckRegistryImagesJob', { timeout: 10_000 }, () => {
  it('resolves every image without pulling it, and reports each resolved and verified', async () => {
    const runtime = new RegistryFakeRuntime();
    runtime.registry.set(REF_A, { configDigest: CONFIG_A });
    runtime.registry.set(REF_B, { configDigest: CONFIG_B });
    const { report, events } = await run(runtime);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.images.map((i) => [i.target, i.resolved, i.pulled ?? false, i.verified, i.manifestDigest]),
      [
        [REF_A, true, false, true, MANIFEST],
        [REF_B, true, false, true, MANIFEST],
      ],
    );
    assert.equal(runtime.calls.filter((c) => c.startsWith('pull')).length, 0);
    assert.deepEqual(phases(events), ['verifying', 'done']);
    assert.equal(events.at(-1)?.body.type, 'report');
    // containerd nodes use their hosts.toml directory; no plain HTTP unless the job names the host.
    assert.deepEqual(runtime.options[0], { plainHttp: false, hostsDir: '/etc/containerd/certs.d' });
  });

  it('names the missing image and the unreachable registry, and fails the report', async () => {
    const runtime = new RegistryFakeRuntime();
    runtime.registry.set(REF_A, { configDigest: CONFIG_A });
    const { report } = await run(runtime);
    assert.equal(report.ok, false);
    assert.equal(report.images[0]?.verified, true);
    assert.equal(report.images[1]?.resolved, false);
    assert.match(
      report.images[1].problem ?? '',
      /REGISTRY_IMAGE_NOT_FOUND: .*no image reg\.local:5000\/app\/b:1/,
    );
    runtime.unreachable = true;
    const down = await run(runtime);
    assert.equal(down.report.ok, false);
    assert.match(down.report.images[0]?.problem ?? '', /REGISTRY_PULL_FAILED: .*connection refused/);
  });

  it('refuses a registry image whose config is not the bundle’s', async () => {
    const runtime = new RegistryFakeRuntime();
    runtime.registry.set(REF_A, { configDigest: CONFIG_B });
    runtime.registry.set(REF_B, { configDigest: CONFIG_B });
    const { report } = await run(runtime, { prePull: true });
    assert.equal(report.ok, false);
    assert.equal(report.images[0]?.foundDigest, CONFIG_B);
    assert.match(report.images[0].problem ?? '', /another image under reg\.local:5000\/app\/a:1/);
    // The wrong image is not pulled.
    assert.ok(!runtime.calls.includes(`pull ${REF_A}`));
  });

  it('with prePull pulls each image, checks what the runtime holds, and says plain HTTP for named hosts', async () => {
    const runtime = new RegistryFakeRuntime();
    runtime.registry.set(REF_A, { configDigest: CONFIG_A });
    runtime.registry.set(REF_B, { configDigest: CONFIG_B });
    const { report, events } = await run(runtime, {
      prePull: true,
      access: { plainHttp: ['reg.local:5000'], hostsDir: '/etc/hosts.d' },
    });
    assert.equal(report.ok, true, JSON.stringify(report.images));
    assert.deepEqual(
      report.images.map((i) => [i.pulled, i.loaded, i.verified]),
      [
        [true, true, true],
        [true, true, true],
      ],
    );
    assert.deepEqual([...runtime.images.keys()], [REF_A, REF_B]);
    assert.deepEqual(runtime.options[0], { plainHttp: true, hostsDir: '/etc/hosts.d' });
    assert.deepEqual(phases(events), ['loading', 'verifying', 'done']);
  });

  it('fails an image the runtime does not hold unpacked after the pull', async () => {
    const runtime = new RegistryFakeRuntime();
    runtime.registry.set(REF_A, { configDigest: CONFIG_A });
    runtime.registry.set(REF_B, { configDigest: CONFIG_B });
    runtime.pull = (reference: string): Promise<void> => {
      runtime.images.set(reference, { configDigest: CONFIG_A, usable: false });
      return Promise.resolve();
    };
    const { report } = await run(runtime, { prePull: true });
    assert.equal(report.ok, false);
    assert.match(report.images[0]?.problem ?? '', /incomplete or not unpacked/);
    assert.match(report.images[1]?.problem ?? '', /is config sha256:a+, the bundle has sha256:b+/);
  });

  it('reports every image failed when the runtime cannot pull or does not answer', async () => {
    const plain = new FakeRuntime(() => undefined);
    const { report } = await run(plain);
    assert.equal(report.ok, false);
    assert.match(report.images[0]?.problem ?? '', /cannot pull from a registry/);
    const down = new RegistryFakeRuntime();
    down.down = true;
    const answer = await run(down);
    assert.equal(answer.report.error?.code, 'RUNTIME_UNAVAILABLE');
    assert.equal(answer.report.images.length, 2);
  });
});
