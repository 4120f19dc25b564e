import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import type { ContainerRuntime, LoadResult, RuntimeImage, RuntimeInfo } from '../../agent/index.js';
import { RuntimeLoadError, RuntimeTagError, RuntimeUnavailableError } from '../../shared/errors/index.js';

/**
 * An in-memory runtime for the node job's logic only (real daemons are covered by the runtime
 * contract tests): `load` registers whatever `onLoad` says the archive held.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly kind = 'containerd' as const;
  readonly images = new Map<string, { configDigest: string; usable: boolean }>();
  readonly calls: string[] = [];
  down = false;
  failLoad: string | undefined;
  failTagFor = new Set<string>();

  constructor(private readonly onLoad: (fake: FakeRuntime) => void) {}

  info(): Promise<RuntimeInfo> {
    this.calls.push('info');
    if (this.down) return Promise.reject(new RuntimeUnavailableError('fake runtime does not answer'));
    return Promise.resolve({
      kind: 'containerd',
      version: '1.0-fake',
      endpoint: 'memory',
      namespace: 'k8s.io',
    });
  }

  async load(archive: Readable): Promise<LoadResult> {
    this.calls.push('load');
    const bytes = (await text(archive)).length;
    if (this.failLoad !== undefined) throw new RuntimeLoadError('fake', this.failLoad);
    this.onLoad(this);
    return { loaded: [...this.images.keys()], bytes, durationMs: 1 };
  }

  tag(source: string, target: string): Promise<void> {
    this.calls.push(`tag ${source} ${target}`);
    const image = this.images.get(source);
    if (image === undefined || this.failTagFor.has(target)) {
      return Promise.reject(new RuntimeTagError('fake', source, target, 'refused'));
    }
    this.images.set(target, image);
    return Promise.resolve();
  }

  inspect(reference: string): Promise<RuntimeImage | undefined> {
    const image = this.images.get(reference);
    return Promise.resolve(image === undefined ? undefined : { reference, ...image });
  }

  async inspectAll(references: readonly string[]): Promise<Map<string, RuntimeImage>> {
    this.calls.push('inspectAll');
    const found = new Map<string, RuntimeImage>();
    for (const reference of references) {
      const image = await this.inspect(reference);
      if (image !== undefined) found.set(reference, image);
    }
    return found;
  }

  untag(reference: string): Promise<void> {
    this.images.delete(reference);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
