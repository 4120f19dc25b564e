import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { runNodeLoad, type NodeLoadEvent } from '../../../agent/index.js';
import type { RetagPlan } from '../../../shared/node-job/index.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';

const A = 'sha256:' + 'a'.repeat(64);
const B = 'sha256:' + 'b'.repeat(64);
const plan: RetagPlan = {
  entries: [
    { source: 'release.daocloud.io/k/api:v1', target: '10.0.0.1/k/api:v1', configDigest: A },
    { source: 'release.daocloud.io/k/ui:v1', target: '10.0.0.1/k/ui:v1', configDigest: B },
  ],
  unnamedImages: [],
};

function loadsBoth(fake: FakeRuntime): void {
  fake.images.set('release.daocloud.io/k/api:v1', { configDigest: A, usable: true });
  fake.images.set('release.daocloud.io/k/ui:v1', { configDigest: B, usable: true });
}

const archive = (): Readable => Readable.from([Buffer.from('archive bytes')]);

describe('runNodeLoad', () => {
  it('loads, retags every reference and verifies each target', async () => {
    const fake = new FakeRuntime(loadsBoth);
    const events: NodeLoadEvent[] = [];
    const report = await runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan,
      openArchive: archive,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.ok, true);
    assert.equal(report.bytesLoaded, 'archive bytes'.length);
    assert.deepEqual(
      report.images.map((i) => [i.target, i.loaded, i.retagged, i.verified]),
      [
        ['10.0.0.1/k/api:v1', true, true, true],
        ['10.0.0.1/k/ui:v1', true, true, true],
      ],
    );
    assert.deepEqual(
      events.map((e) => e.phase),
      ['load', 'retag', 'retag', 'verify', 'verify'],
    );
    // One listing after the load, one after the tags: never one per reference.
    assert.equal(fake.calls.filter((call) => call === 'inspectAll').length, 2);
  });

  /** A load that also names the targets, as the job's appended manifest.json makes the import do. */
  const loadNaming = (uiTarget: string) => async () => {
    const fake = new FakeRuntime((f) => {
      loadsBoth(f);
      f.images.set('10.0.0.1/k/api:v1', { configDigest: A, usable: true });
      f.images.set('10.0.0.1/k/ui:v1', { configDigest: uiTarget, usable: true });
    });
    const report = await runNodeLoad({ node: 'n1', runtime: fake, plan, openArchive: archive });
    return { report, tags: fake.calls.filter((call) => call.startsWith('tag ')), fake };
  };

  it('tags nothing when the import already named every target (the job manifest carries them)', async () => {
    const { report, tags, fake } = await loadNaming(B)();
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.images.map((i) => [i.loaded, i.retagged, i.verified]),
      [
        [true, true, true],
        [true, true, true],
      ],
    );
    assert.deepEqual(tags, []);
    assert.equal(fake.calls.filter((call) => call === 'inspectAll').length, 1);
  });

  it('re-tags a target the import left pointing at another image', async () => {
    const { report, tags } = await loadNaming(A)();
    assert.equal(report.ok, true);
    assert.deepEqual(tags, ['tag release.daocloud.io/k/ui:v1 10.0.0.1/k/ui:v1']);
  });

  it('reports the image whose retag failed and is not ok', async () => {
    const fake = new FakeRuntime(loadsBoth);
    fake.failTagFor.add('10.0.0.1/k/ui:v1');
    const report = await runNodeLoad({ node: 'n1', runtime: fake, plan, openArchive: archive });
    assert.equal(report.ok, false);
    const ui = report.images.find((i) => i.target === '10.0.0.1/k/ui:v1');
    assert.equal(ui?.verified, false);
    assert.match(ui.problem ?? '', /tagging release\.daocloud\.io\/k\/ui:v1 as 10\.0\.0\.1\/k\/ui:v1 failed/);
    assert.equal(report.images.find((i) => i.target === '10.0.0.1/k/api:v1')?.verified, true);
  });

  it('names a reference the archive did not deliver', async () => {
    const fake = new FakeRuntime((f) =>
      f.images.set('release.daocloud.io/k/api:v1', { configDigest: A, usable: true }),
    );
    const report = await runNodeLoad({ node: 'n1', runtime: fake, plan, openArchive: archive });
    assert.equal(report.ok, false);
    const ui = report.images[1];
    assert.equal(ui?.loaded, false);
    assert.match(ui.problem ?? '', /release\.daocloud\.io\/k\/ui:v1 is not in the runtime after the load/);
  });

  it('refuses a target that points at another image, or at one that is not unpacked', async () => {
    const fake = new FakeRuntime((f) => {
      loadsBoth(f);
      f.images.set('release.daocloud.io/k/ui:v1', { configDigest: B, usable: false });
    });
    fake.failTagFor.add('10.0.0.1/k/api:v1');
    fake.images.set('10.0.0.1/k/api:v1', { configDigest: B, usable: true });
    const report = await runNodeLoad({ node: 'n1', runtime: fake, plan, openArchive: archive });
    assert.equal(report.ok, false);
    assert.equal(report.images[0]?.foundDigest, B);
    assert.match(report.images[1]?.problem ?? '', /present but not usable/);
  });

  it('skips the load when every target already holds the right usable image', async () => {
    const fake = new FakeRuntime(() => assert.fail('must not load'));
    fake.images.set('10.0.0.1/k/api:v1', { configDigest: A, usable: true });
    fake.images.set('10.0.0.1/k/ui:v1', { configDigest: B, usable: true });
    let opened = 0;
    const report = await runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan,
      skipIfVerified: true,
      openArchive: () => {
        opened++;
        return archive();
      },
    });
    assert.equal(report.ok, true);
    assert.equal(opened, 0);
    assert.equal(report.bytesLoaded, 0);
    assert.ok(!fake.calls.includes('load'));
  });

  it('loads again when one target is missing even with skipIfVerified', async () => {
    const fake = new FakeRuntime(loadsBoth);
    fake.images.set('10.0.0.1/k/api:v1', { configDigest: A, usable: true });
    const report = await runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan,
      openArchive: archive,
      skipIfVerified: true,
    });
    assert.equal(report.ok, true);
    assert.ok(fake.calls.includes('load'));
  });

  it('turns an unreachable runtime into a failed report naming the node and the error code', async () => {
    const fake = new FakeRuntime(loadsBoth);
    fake.down = true;
    const report = await runNodeLoad({ node: 'edge-7', runtime: fake, plan, openArchive: archive });
    assert.equal(report.ok, false);
    assert.equal(report.node, 'edge-7');
    assert.equal(report.error?.code, 'RUNTIME_UNAVAILABLE');
    assert.ok(report.images.every((i) => !i.verified));
  });

  it('reports a failed load with its code and verifies nothing', async () => {
    const fake = new FakeRuntime(loadsBoth);
    fake.failLoad = 'unexpected EOF';
    const report = await runNodeLoad({ node: 'n1', runtime: fake, plan, openArchive: archive });
    assert.equal(report.ok, false);
    assert.equal(report.error?.code, 'RUNTIME_LOAD_FAILED');
    assert.match(report.error.message, /unexpected EOF/);
  });

  it('is not ok for an empty plan: nothing verified is not success', async () => {
    const fake = new FakeRuntime(() => undefined);
    const report = await runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan: { entries: [], unnamedImages: [] },
      openArchive: archive,
    });
    assert.equal(report.ok, false);
  });

  it('imports parts one after another, opening each only when its turn comes', async () => {
    const opened: string[] = [];
    const fake = new FakeRuntime((f) => {
      // Part 1 holds api, part 2 ui: each load registers what its part held.
      const loads = f.calls.filter((call) => call === 'load').length;
      if (loads === 1) f.images.set('release.daocloud.io/k/api:v1', { configDigest: A, usable: true });
      if (loads === 2) f.images.set('release.daocloud.io/k/ui:v1', { configDigest: B, usable: true });
    });
    const part = (name: string, bytes: string) => (): Readable => {
      opened.push(`${name} after ${fake.calls.filter((call) => call === 'load').length} loads`);
      return Readable.from([Buffer.from(bytes)]);
    };
    const report = await runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan,
      openArchive: () => ({ parts: [part('first', 'api part'), part('second', 'ui part!!')] }),
    });
    assert.equal(report.ok, true, JSON.stringify(report.images));
    assert.deepEqual(opened, ['first after 0 loads', 'second after 1 loads']);
    assert.equal(report.bytesLoaded, 'api part'.length + 'ui part!!'.length);
    assert.deepEqual(
      report.images.map((i) => i.verified),
      [true, true],
    );
  });

  it('waits for a part that opens asynchronously (its bytes still arriving) before importing it', async () => {
    const fake = new FakeRuntime(loadsBoth);
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const loading = runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan,
      openArchive: () => ({
        parts: [
          async () => {
            await held;
            return Readable.from([Buffer.from('whole part')]);
          },
        ],
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fake.calls.filter((call) => call === 'load').length, 0, 'no import before the part is held');
    release?.();
    const report = await loading;
    assert.equal(report.ok, true, JSON.stringify(report.images));
    assert.equal(report.bytesLoaded, 'whole part'.length);
  });

  it('stops at a part that fails: the rest are never opened and the report says why', async () => {
    const fake = new FakeRuntime(loadsBoth);
    let openedThird = false;
    const report = await runNodeLoad({
      node: 'n1',
      runtime: fake,
      plan,
      openArchive: () => ({
        parts: [
          () => Readable.from([Buffer.from('one')]),
          () => {
            fake.failLoad = 'unexpected EOF in part two';
            return Readable.from([Buffer.from('two')]);
          },
          () => {
            openedThird = true;
            return Readable.from([Buffer.from('three')]);
          },
        ],
      }),
    });
    assert.equal(report.ok, false);
    assert.equal(openedThird, false);
    assert.match(report.error?.message ?? '', /unexpected EOF in part two/);
    assert.equal(fake.calls.filter((call) => call === 'load').length, 2);
  });
});
