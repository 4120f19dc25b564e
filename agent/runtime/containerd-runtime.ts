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
import type {
  ContainerRuntime,
  LoadHints,
  LoadResult,
  RegistryPullOptions,
  ResolvedImage,
  RuntimeImage,
  RuntimeInfo,
} from './container-runtime.js';
import { pullWithCtr, resolveWithCtr, type CtrCall } from './containerd-registry.js';
import { countBytes } from './counting-stream.js';
import { ContainerdApi, type ContainerdReader } from './containerd-api.js';
import { checkImages } from './image-check.js';
import { importDockerArchive, type ManifestEntry } from './containerd-ingest/archive-loader.js';
import { peekFirstMember } from './containerd-ingest/first-member.js';
import { ContainerdWriteApi, type ContainerdWriter } from './containerd-ingest/write-api.js';

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
  /** How long a successful version answer is reused (default 10 s; 0 asks every time). */
  readonly infoMaxAgeMs?: number;
  /**
   * How load() imports: `ctr` (default) runs `ctr images import -`; `api` streams a go-containerregistry
   * archive (what charts-syncer writes) blob by blob through containerd's API, without a process, and
   * hands every other layout (docker save, OCI) to ctr.
   */
  readonly importer?: 'ctr' | 'api';
  /** containerd's API for listings and version (default: a client on `address`); a test seam. */
  readonly api?: ContainerdReader;
  readonly logger?: Logger;
}

/** containerd: imports and tags through `ctr -n <namespace>`, listings and version through its API. */
export class ContainerdRuntime implements ContainerRuntime {
  readonly kind = 'containerd' as const;
  readonly address: string;
  readonly namespace: string;
  private readonly runner: CommandRunner;
  private readonly ctr: string;
  private readonly options: ContainerdRuntimeOptions;
  private readonly logger: Logger | undefined;
  private readonly api: ContainerdReader;
  /** Manifests and configs read so far, by digest: content never changes under its digest. */
  private readonly blobs = new Map<string, Promise<Buffer>>();
  private lastInfo: { at: number; info: RuntimeInfo } | undefined;
  private writer: ContainerdWriter | undefined;

  constructor(options: ContainerdRuntimeOptions) {
    this.options = options;
    this.runner = options.runner;
    this.address = options.address ?? DEFAULT_CONTAINERD_ADDRESS;
    this.namespace = options.namespace ?? DEFAULT_CONTAINERD_NAMESPACE;
    this.ctr = options.ctrPath ?? 'ctr';
    this.logger = options.logger?.child({ component: 'containerd-runtime' });
    this.api =
      options.api ??
      new ContainerdApi({
        address: this.address,
        namespace: this.namespace,
        callTimeoutMs: options.commandTimeoutMs ?? 60_000,
      });
  }

  async info(signal?: AbortSignal): Promise<RuntimeInfo> {
    if (!(await socketExists(this.address))) {
      throw new RuntimeUnavailableError(
        `containerd at ${this.address} does not answer: no socket there; start containerd or pass the right --containerd-address`,
      );
    }
    // The socket check above still runs every time; the version answer is reused because a job asks
    // right after the heartbeat did, and the heartbeat asks every beat.
    const maxAge = this.options.infoMaxAgeMs ?? 10_000;
    if (this.lastInfo !== undefined && performance.now() - this.lastInfo.at < maxAge)
      return this.lastInfo.info;
    try {
      const { version } = await this.api.version(signal);
      const info: RuntimeInfo = {
        kind: 'containerd',
        version: version === '' ? 'unknown' : version,
        endpoint: this.address,
        namespace: this.namespace,
      };
      this.lastInfo = { at: performance.now(), info };
      return info;
    } catch (err) {
      this.lastInfo = undefined;
      throw new RuntimeUnavailableError(
        `containerd at ${this.address} does not answer: start containerd or pass the right --containerd-address` +
          ` (${apiProblem(err)})`,
        {},
        err,
      );
    }
  }

  get importsWhileArriving(): boolean {
    return this.options.importer === 'api';
  }

  async load(archive: Readable, signal?: AbortSignal, hints: LoadHints = {}): Promise<LoadResult> {
    if (this.options.importer !== 'api') return this.loadThroughCtr(archive, signal);
    let peeked: Awaited<ReturnType<typeof peekFirstMember>>;
    try {
      peeked = await peekFirstMember(archive);
    } catch (err) {
      // The incoming stream can break before its first member is read: a failed load all the same.
      throw new RuntimeLoadError('containerd', `reading the archive: ${(err as Error).message}`, {}, err);
    }
    const { name, stream } = peeked;
    // Only go-containerregistry archives name every member by its digest from the first one on.
    if (name === undefined || !/^sha256:[0-9a-f]{64}$/.test(name)) return this.loadThroughCtr(stream, signal);
    return this.loadThroughApi(stream, signal, hints);
  }

  private async loadThroughApi(
    archive: Readable,
    signal?: AbortSignal,
    hints: LoadHints = {},
  ): Promise<LoadResult> {
    const started = performance.now();
    const counter = countBytes(archive);
    // The import reads the stream only after it has opened a lease; a stream that breaks meanwhile must
    // not throw an unhandled 'error' (the import finds it in counter.errored).
    counter.on('error', () => undefined);
    const onAbort = (): void => {
      counter.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.writer ??= new ContainerdWriteApi({ address: this.address, namespace: this.namespace });
    try {
      const loaded = await importDockerArchive(this.writer, counter, {
        snapshotter: this.snapshotter(),
        ...(hints.manifest === undefined ? {} : { manifest: parseManifestHint(hints.manifest) }),
      });
      this.logger?.debug({ loaded, bytes: counter.bytes }, 'API import finished');
      return { loaded, bytes: counter.bytes, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      // A load fails as RUNTIME_LOAD_FAILED whichever importer ran; the precise error stays the cause.
      if (err instanceof RuntimeLoadError) throw err;
      const detail = err instanceof Error ? err.message.replace(/^containerd: /, '') : String(err);
      const context = err instanceof AirliftError ? err.context : {};
      throw new RuntimeLoadError('containerd', detail, context, err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async loadThroughCtr(archive: Readable, signal?: AbortSignal): Promise<LoadResult> {
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
    const loaded = [...stdout.matchAll(/unpacking (\S+) \(sha256:[0-9a-f]+\)/g)].map((m) => m[1] ?? '');
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

  // containerd's API, not ctr: every ctr call is a process start (~40 ms of CPU, and the agent's own
  // fork), and at N nodes all of them check and verify in the same seconds.
  async inspectAll(references: readonly string[], signal?: AbortSignal): Promise<Map<string, RuntimeImage>> {
    const wanted = new Map(references.map((reference) => [full(reference), reference]));
    let checked: Map<string, RuntimeImage>;
    try {
      checked = await checkImages([...wanted.keys()], {
        api: this.api,
        snapshotter: this.snapshotter(),
        blobs: this.blobs,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      signal?.throwIfAborted();
      throw new RuntimeUnavailableError(
        `containerd at ${this.address} did not answer an image listing (${apiProblem(err)}); check that it runs`,
        {},
        err,
      );
    }
    const found = new Map<string, RuntimeImage>();
    for (const [name, image] of checked) found.set(wanted.get(name) ?? name, image);
    return found;
  }

  /** True when the namespace already holds any image (it is the one kubelet uses). */
  async hasImages(signal?: AbortSignal): Promise<boolean> {
    return (await this.api.listImages([], signal)).length > 0;
  }

  async untag(reference: string, signal?: AbortSignal): Promise<void> {
    const name = full(reference);
    if ((await this.inspect(name, signal)) === undefined) return;
    await this.run(['images', 'rm', name], signal);
  }

  /** Resolves through containerd's resolver (hosts.toml, --plain-http) without creating an image record. */
  resolve(reference: string, options: RegistryPullOptions, signal?: AbortSignal): Promise<ResolvedImage> {
    return resolveWithCtr(this.ctrCall, reference, options, signal);
  }

  /** `ctr images pull`: content and unpacked layers, as kubelet would pull it. */
  pull(reference: string, options: RegistryPullOptions, signal?: AbortSignal): Promise<void> {
    return pullWithCtr(
      this.ctrCall,
      reference,
      {
        ...options,
        snapshotterArgs: this.snapshotterArgs(),
        timeoutMs: this.options.importTimeoutMs ?? 60 * 60 * 1000,
      },
      signal,
    );
  }

  private readonly ctrCall: CtrCall = (args, signal, timeoutMs) =>
    this.runner.run(this.ctr, this.global(args), {
      timeoutMs: timeoutMs ?? this.options.commandTimeoutMs ?? 60_000,
      ...(signal === undefined ? {} : { signal }),
    });

  close(): Promise<void> {
    this.api.close();
    this.writer?.close();
    this.writer = undefined;
    return Promise.resolve();
  }

  // What ctr would unpack into: --snapshotter, else ctr's own default (CONTAINERD_SNAPSHOTTER, overlayfs).
  private snapshotter(): string {
    const configured = this.options.snapshotter;
    if (configured !== undefined && configured !== '') return configured;
    return process.env['CONTAINERD_SNAPSHOTTER'] ?? 'overlayfs';
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

function apiProblem(err: unknown): string {
  const details = (err as { details?: unknown }).details;
  return typeof details === 'string' && details !== ''
    ? details
    : err instanceof Error
      ? err.message
      : String(err);
}

/** The job's manifest.json, as the API importer reads it; a malformed one fails the load by name. */
function parseManifestHint(text: string): ManifestEntry[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) throw new Error('not a list');
    return parsed as ManifestEntry[];
  } catch (err) {
    throw new RuntimeLoadError(
      'containerd',
      `the job's manifest.json cannot be read: ${(err as Error).message}`,
    );
  }
}
