import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import {
  RegistryImageNotFoundError,
  RegistryPullError,
  RuntimeLoadError,
  RuntimeTagError,
  RuntimeUnavailableError,
} from '../../shared/errors/index.js';
import { formatReference, parseReference } from '../../shared/reference/index.js';
import type {
  ContainerRuntime,
  LoadResult,
  RegistryPullOptions,
  ResolvedImage,
  RuntimeImage,
  RuntimeInfo,
} from './container-runtime.js';
import { countBytes } from './counting-stream.js';
import { DEFAULT_DOCKER_HOST, dockerOptionsFor } from './docker-endpoint.js';

/** Options for the Docker Engine runtime. */
export interface DockerRuntimeOptions {
  /** `unix:///var/run/docker.sock` (default), `tcp://host:port`… */
  readonly host?: string;
  readonly logger?: Logger;
}

interface ProgressEntry {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { message?: string };
}

/** Docker Engine through dockerode: streaming `POST /images/load`, tag, inspect. */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  readonly host: string;
  private docker: Promise<Docker> | undefined;
  private readonly dockerOptions: Docker.DockerOptions;
  private readonly logger: Logger | undefined;

  constructor(options: DockerRuntimeOptions = {}) {
    this.host = options.host ?? DEFAULT_DOCKER_HOST;
    // Checked here, so a bad --docker-host fails at start with its own error, not at first use.
    this.dockerOptions = dockerOptionsFor(this.host);
    this.logger = options.logger?.child({ component: 'docker-runtime' });
  }

  // dockerode (with docker-modem and ssh2) is loaded on first use: a containerd node, and every
  // coordinator command, starts without it.
  private client(): Promise<Docker> {
    this.docker ??= import('dockerode').then(({ default: Dockerode }) => new Dockerode(this.dockerOptions));
    return this.docker;
  }

  async info(signal?: AbortSignal): Promise<RuntimeInfo> {
    try {
      signal?.throwIfAborted();
      const version = await (await this.client()).version();
      return { kind: 'docker', version: version.Version, endpoint: this.host };
    } catch (err) {
      throw new RuntimeUnavailableError(
        `Docker at ${this.host} does not answer: start dockerd or pass the right --docker-host`,
        {},
        err,
      );
    }
  }

  async load(archive: Readable, signal?: AbortSignal): Promise<LoadResult> {
    const started = performance.now();
    const counter = countBytes(archive);
    let response: NodeJS.ReadableStream;
    let docker: Docker;
    try {
      docker = await this.client();
      response = await docker.loadImage(counter, {
        quiet: true,
        ...(signal === undefined ? {} : { abortSignal: signal }),
      });
    } catch (err) {
      throw new RuntimeLoadError('docker', describe(err), {}, err);
    }
    // The engine answers 200 and reports failures inside the JSON stream: every entry must be read.
    const entries = await new Promise<ProgressEntry[]>((resolve, reject) => {
      docker.modem.followProgress(response, (err: Error | null, result: ProgressEntry[]) => {
        if (err === null) resolve(result);
        else reject(err);
      });
    }).catch((err: unknown) => {
      throw new RuntimeLoadError('docker', describe(err), {}, err);
    });
    const failure = entries.find((entry) => entry.error !== undefined || entry.errorDetail !== undefined);
    if (failure !== undefined) {
      throw new RuntimeLoadError('docker', failure.errorDetail?.message ?? failure.error ?? 'unknown error');
    }
    const loaded = entries
      .map((entry) => /Loaded image(?: ID)?: (\S+)/.exec(entry.stream ?? '')?.[1])
      .filter((ref): ref is string => ref !== undefined);
    this.logger?.debug({ loaded, bytes: counter.bytes }, 'docker load finished');
    return { loaded, bytes: counter.bytes, durationMs: Math.round(performance.now() - started) };
  }

  async tag(source: string, target: string, signal?: AbortSignal): Promise<void> {
    const ref = parseReference(target);
    if (ref.tag === undefined) {
      throw new RuntimeTagError('docker', source, target, 'Docker can only tag with a tag, not a digest');
    }
    try {
      await (await this.client()).getImage(source).tag({
        repo: `${ref.registry}/${ref.repository}`,
        tag: ref.tag,
        ...(signal === undefined ? {} : { abortSignal: signal }),
      });
    } catch (err) {
      throw new RuntimeTagError('docker', source, target, describe(err), {}, err);
    }
  }

  async inspect(reference: string, signal?: AbortSignal): Promise<RuntimeImage | undefined> {
    try {
      signal?.throwIfAborted();
      const info = await (await this.client()).getImage(reference).inspect();
      // docker load commits an image only once all its layers are registered: present means usable.
      return { reference: formatReference(parseReference(reference)), configDigest: info.Id, usable: true };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw new RuntimeUnavailableError(
        `Docker at ${this.host}: inspecting ${reference} failed: ${describe(err)}`,
        { reference },
        err,
      );
    }
  }

  async inspectAll(references: readonly string[], signal?: AbortSignal): Promise<Map<string, RuntimeImage>> {
    const found = new Map<string, RuntimeImage>();
    for (const reference of references) {
      const image = await this.inspect(reference, signal);
      if (image !== undefined) found.set(reference, image);
    }
    return found;
  }

  async untag(reference: string, signal?: AbortSignal): Promise<void> {
    try {
      await (
        await this.client()
      )
        .getImage(reference)
        .remove({ noprune: true, ...(signal === undefined ? {} : { abortSignal: signal }) });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw new RuntimeTagError(
        'docker',
        reference,
        reference,
        `removing the tag failed: ${describe(err)}`,
        {},
        err,
      );
    }
  }

  /**
   * `GET /distribution/{name}/json`: the engine resolves the reference with its own registry settings
   * (daemon.json insecure-registries and mirrors, `docker login` credentials); plain HTTP is its choice.
   */
  async resolve(
    reference: string,
    _options: RegistryPullOptions,
    signal?: AbortSignal,
  ): Promise<ResolvedImage> {
    const name = formatReference(parseReference(reference));
    try {
      signal?.throwIfAborted();
      const answer = (await (await this.client()).getImage(name).distribution()) as {
        Descriptor?: { digest?: string };
      };
      const digest = answer.Descriptor?.digest;
      if (digest === undefined) throw new Error('the engine named no digest');
      return { digest };
    } catch (err) {
      throw dockerRegistryProblem('resolve', name, err);
    }
  }

  /** `POST /images/create`: pulls with the engine's registry settings and credentials. */
  async pull(reference: string, _options: RegistryPullOptions, signal?: AbortSignal): Promise<void> {
    const name = formatReference(parseReference(reference));
    try {
      const docker = await this.client();
      const stream = await docker.pull(name, {
        ...(signal === undefined ? {} : { abortSignal: signal }),
      });
      const entries = await new Promise<ProgressEntry[]>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null, result: ProgressEntry[]) => {
          if (err === null) resolve(result);
          else reject(err);
        });
      });
      const failure = entries.find((entry) => entry.error !== undefined || entry.errorDetail !== undefined);
      if (failure !== undefined)
        throw new Error(failure.errorDetail?.message ?? failure.error ?? 'unknown error');
    } catch (err) {
      throw dockerRegistryProblem('pull', name, err);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function dockerRegistryProblem(action: 'resolve' | 'pull', name: string, err: unknown): Error {
  const detail = describe(err);
  const notFound =
    (err as { statusCode?: number }).statusCode === 404 || /manifest unknown|not found/i.test(detail);
  return notFound
    ? new RegistryImageNotFoundError('docker', name, detail, err)
    : new RegistryPullError('docker', action, name, detail, err);
}

function describe(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return json?.message ?? (err instanceof Error ? err.message : String(err));
}
