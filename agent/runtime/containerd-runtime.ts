import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import {
  AirliftError,
  RuntimeLoadError,
  RuntimeTagError,
  RuntimeUnavailableError,
} from '../../shared/errors/index.js';
import type { CommandRunner } from '../../shared/exec/index.js';
import { formatReference, parseReference } from '../../shared/reference/index.js';
import type { ContainerRuntime, LoadResult, RuntimeImage, RuntimeInfo } from './container-runtime.js';
import { countBytes } from './counting-stream.js';
import { configDigestOf, parseConfigLabels, parseImageCheck } from './ctr-output.js';

/** containerd's socket on kubeadm/DCE nodes. */
export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
/** The namespace kubelet's CRI plugin keeps images in; `default` is invisible to Kubernetes. */
export const DEFAULT_CONTAINERD_NAMESPACE = 'k8s.io';

/** Options for the containerd runtime. */
export interface ContainerdRuntimeOptions {
  readonly runner: CommandRunner;
  readonly address?: string;
  readonly namespace?: string;
  /** The ctr executable (default `ctr` on PATH). */
  readonly ctrPath?: string;
  /** Snapshotter to unpack into; empty means containerd's default (overlayfs). */
  readonly snapshotter?: string;
  /** Longest an import may take; multi-GB archives on slow disks need minutes. */
  readonly importTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
  /** How long a successful `ctr version` answer is reused (default 10 s; 0 asks every time). */
  readonly infoMaxAgeMs?: number;
  readonly logger?: Logger;
}

/** containerd through `ctr -n <namespace>`: import from stdin, tag --force, list. */
export class ContainerdRuntime implements ContainerRuntime {
  readonly kind = 'containerd' as const;
  readonly address: string;
  readonly namespace: string;
  private readonly runner: CommandRunner;
  private readonly ctr: string;
  private readonly options: ContainerdRuntimeOptions;
  private readonly logger: Logger | undefined;
  private readonly contentCache = new Map<string, Promise<string>>();
  private readonly configCache = new Map<string, string>();
  /** Manifests the imports named whose config is not resolved yet: the next listing needs `content ls`. */
  private readonly importedManifests = new Set<string>();
  private lastInfo: { at: number; info: RuntimeInfo } | undefined;

  constructor(options: ContainerdRuntimeOptions) {
    this.options = options;
    this.runner = options.runner;
    this.address = options.address ?? DEFAULT_CONTAINERD_ADDRESS;
    this.namespace = options.namespace ?? DEFAULT_CONTAINERD_NAMESPACE;
    this.ctr = options.ctrPath ?? 'ctr';
    this.logger = options.logger?.child({ component: 'containerd-runtime' });
  }

  async info(signal?: AbortSignal): Promise<RuntimeInfo> {
    if (!(await socketExists(this.address))) {
      throw new RuntimeUnavailableError(
        `containerd at ${this.address} does not answer: no socket there; start containerd or pass the right --containerd-address`,
      );
    }
    // The socket check above still runs every time; only the version answer is reused, because each
    // ask is a ctr process and a job asks right after the heartbeat did.
    const maxAge = this.options.infoMaxAgeMs ?? 10_000;
    if (this.lastInfo !== undefined && performance.now() - this.lastInfo.at < maxAge)
      return this.lastInfo.info;
    try {
      const { stdout } = await this.run(['version'], signal);
      const server = /Server:[\s\S]*?Version:\s*(\S+)/.exec(stdout)?.[1] ?? 'unknown';
      const info: RuntimeInfo = {
        kind: 'containerd',
        version: server,
        endpoint: this.address,
        namespace: this.namespace,
      };
      this.lastInfo = { at: performance.now(), info };
      return info;
    } catch (err) {
      this.lastInfo = undefined;
      throw new RuntimeUnavailableError(
        `containerd at ${this.address} does not answer: start containerd or pass the right --containerd-address` +
          (err instanceof AirliftError ? ` (${err.message})` : ''),
        {},
        err,
      );
    }
  }

  async load(archive: Readable, signal?: AbortSignal): Promise<LoadResult> {
    const started = performance.now();
    const counter = countBytes(archive);
    const args = ['images', 'import', ...this.snapshotterArgs(), '-'];
    let stdout: string;
    try {
      ({ stdout } = await this.runner.run(this.ctr, this.global(args), {
        input: counter,
        timeoutMs: this.options.importTimeoutMs ?? 60 * 60 * 1000,
        ...(signal === undefined ? {} : { signal }),
      }));
    } catch (err) {
      throw new RuntimeLoadError('containerd', err instanceof Error ? err.message : String(err), {}, err);
    }
    // ctr prints `unpacking <name> (sha256:…)...done` per imported image.
    const unpacked = [...stdout.matchAll(/unpacking (\S+) \((sha256:[0-9a-f]{64})\)/g)];
    const loaded = unpacked.map((m) => m[1] ?? '');
    for (const m of unpacked) if (m[2] !== undefined) this.importedManifests.add(m[2]);
    this.logger?.debug({ loaded, bytes: counter.bytes }, 'ctr import finished');
    return { loaded, bytes: counter.bytes, durationMs: Math.round(performance.now() - started) };
  }

  async tag(source: string, target: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.run(['images', 'tag', '--force', full(source), full(target)], signal);
    } catch (err) {
      throw new RuntimeTagError(
        'containerd',
        source,
        target,
        err instanceof Error ? err.message : String(err),
        {},
        err,
      );
    }
  }

  async inspect(reference: string, signal?: AbortSignal): Promise<RuntimeImage | undefined> {
    return (await this.inspectAll([reference], signal)).get(reference);
  }

  // Every ctr call is a process start (~40 ms of CPU): one listing for all references, and manifests
  // fetched once per digest (content is immutable, so the cache never goes stale).
  async inspectAll(references: readonly string[], signal?: AbortSignal): Promise<Map<string, RuntimeImage>> {
    const wanted = new Map(references.map((reference) => [full(reference), reference]));
    if (wanted.size === 0) return new Map();
    // `images check` rather than `images ls`: it also says whether every blob is present and unpacked.
    // Filters are OR'd: only the wanted images are checked, not every image kubelet keeps on the node.
    const args = [
      'images',
      'check',
      ...this.snapshotterArgs(),
      ...[...wanted.keys()].map((name) => `name==${name}`),
    ];
    // Right after an import the new manifests' configs are unknown for sure: list the content beside
    // the check instead of after it, which halves the wait when every node verifies at once.
    const early = this.importedManifests.size > 0 ? this.listConfigs(signal) : undefined;
    early?.catch(() => undefined);
    const rows = parseImageCheck((await this.run(args, signal)).stdout).filter((row) =>
      wanted.has(row.reference),
    );
    // One `content ls` resolves every plain manifest at once; only what it cannot (an index, a manifest
    // without the label) costs a `content get` per blob.
    if (early !== undefined) await early;
    if (rows.some((row) => !this.configCache.has(row.targetDigest))) await this.listConfigs(signal);
    const found = new Map<string, RuntimeImage>();
    for (const row of rows) {
      let configDigest = this.configCache.get(row.targetDigest);
      if (configDigest === undefined) {
        configDigest = await configDigestOf(row, (digest) => this.content(digest, signal));
        // Content is immutable: resolved once, a target never sends us to `content ls` again.
        this.configCache.set(row.targetDigest, configDigest);
      }
      found.set(wanted.get(row.reference) ?? row.reference, {
        reference: row.reference,
        configDigest,
        usable: row.complete && row.unpacked,
      });
    }
    return found;
  }

  /** One `content ls`: every manifest's config digest by its gc label, into the cache. */
  private async listConfigs(signal?: AbortSignal): Promise<void> {
    // What an import adds after the listing started is not in it; what it names without a label (an
    // index) is resolved per blob, and must not make every later check list the content again.
    const seen = [...this.importedManifests];
    const labels = parseConfigLabels((await this.run(['content', 'ls'], signal)).stdout);
    for (const [manifest, config] of labels) this.configCache.set(manifest, config);
    for (const manifest of seen) this.importedManifests.delete(manifest);
  }

  private content(digest: string, signal?: AbortSignal): Promise<string> {
    let cached = this.contentCache.get(digest);
    if (cached === undefined) {
      cached = this.run(['content', 'get', digest], signal).then((r) => r.stdout);
      cached.catch(() => this.contentCache.delete(digest));
      this.contentCache.set(digest, cached);
    }
    return cached;
  }

  /** True when the namespace already holds any image (it is the one kubelet uses). */
  async hasImages(signal?: AbortSignal): Promise<boolean> {
    const { stdout } = await this.run(['images', 'ls', '--quiet'], signal);
    return stdout.trim() !== '';
  }

  async untag(reference: string, signal?: AbortSignal): Promise<void> {
    const name = full(reference);
    if ((await this.inspect(name, signal)) === undefined) return;
    await this.run(['images', 'rm', name], signal);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private snapshotterArgs(): string[] {
    const snapshotter = this.options.snapshotter;
    return snapshotter === undefined || snapshotter === '' ? [] : ['--snapshotter', snapshotter];
  }

  private global(args: readonly string[]): string[] {
    // Without a connect timeout ctr waits for a missing socket until the command timeout kills it.
    return ['--address', this.address, '--namespace', this.namespace, '--connect-timeout', '3s', ...args];
  }

  private run(args: readonly string[], signal?: AbortSignal): Promise<{ stdout: string }> {
    return this.runner.run(this.ctr, this.global(args), {
      timeoutMs: this.options.commandTimeoutMs ?? 60_000,
      ...(signal === undefined ? {} : { signal }),
    });
  }
}

// ctr wants fully qualified names (`docker.io/library/x:1`); normalising here keeps callers honest.
function full(reference: string): string {
  return formatReference(parseReference(reference));
}

async function socketExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}
