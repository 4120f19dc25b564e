import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status as GrpcStatus,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { whenAborted } from '../async/abort-fan-out.js';

/** A content descriptor as containerd's API returns it. */
export interface ApiDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** An image record: a name and the content it points at. */
export interface ApiImage {
  readonly name: string;
  readonly target: ApiDescriptor;
}

/** What a blob in the content store is. */
export interface ApiContentInfo {
  readonly digest: string;
  readonly size: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** The read-only calls airlift makes, one method per RPC: a seam for tests and the image checker. */
export interface ContainerdReader {
  version(signal?: AbortSignal): Promise<{ version: string; revision: string }>;
  listImages(filters: readonly string[], signal?: AbortSignal): Promise<ApiImage[]>;
  /** Undefined when the store does not hold the blob. */
  contentInfo(digest: string, signal?: AbortSignal): Promise<ApiContentInfo | undefined>;
  readContent(digest: string, signal?: AbortSignal): Promise<Buffer>;
  /** Whether the snapshotter holds a snapshot under `key` (a chain id, for unpacked layers). */
  hasSnapshot(snapshotter: string, key: string, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

// The fields airlift reads of containerd's v1 API (github.com/containerd/containerd/api, stable since
// 1.0); protobuf skips the rest. Field numbers are containerd's: never renumber them.
const str = (id: number) => ({ type: 'string', id });
const int64 = (id: number) => ({ type: 'int64', id });
const rpc = (requestType: string, responseType: string, responseStream = false) => ({
  requestType,
  responseType,
  ...(responseStream ? { responseStream } : {}),
});
/** A `containerd.services.<name>.v1` package holding `defs`. */
const v1 = (defs: Record<string, unknown>) => ({ nested: { v1: { nested: defs } } });
const CONTAINERD_API = {
  nested: {
    google: { nested: { protobuf: { nested: { Empty: { fields: {} } } } } },
    containerd: {
      nested: {
        types: {
          nested: { Descriptor: { fields: { mediaType: str(1), digest: str(2), size: int64(3) } } },
        },
        services: {
          nested: {
            version: v1({
              Version: { methods: { Version: rpc('google.protobuf.Empty', 'VersionResponse') } },
              VersionResponse: { fields: { version: str(1), revision: str(2) } },
            }),
            images: v1({
              Images: { methods: { List: rpc('ListImagesRequest', 'ListImagesResponse') } },
              Image: { fields: { name: str(1), target: { type: 'containerd.types.Descriptor', id: 3 } } },
              ListImagesRequest: { fields: { filters: { rule: 'repeated', type: 'string', id: 1 } } },
              ListImagesResponse: { fields: { images: { rule: 'repeated', type: 'Image', id: 1 } } },
            }),
            content: v1({
              Content: {
                methods: {
                  Info: rpc('InfoRequest', 'InfoResponse'),
                  Read: rpc('ReadContentRequest', 'ReadContentResponse', true),
                },
              },
              Info: {
                fields: {
                  digest: str(1),
                  size: int64(2),
                  labels: { keyType: 'string', type: 'string', id: 5 },
                },
              },
              InfoRequest: { fields: { digest: str(1) } },
              InfoResponse: { fields: { info: { type: 'Info', id: 1 } } },
              ReadContentRequest: { fields: { digest: str(1), offset: int64(2), size: int64(3) } },
              ReadContentResponse: { fields: { offset: int64(1), data: { type: 'bytes', id: 2 } } },
            }),
            snapshots: v1({
              Snapshots: { methods: { Stat: rpc('StatSnapshotRequest', 'StatSnapshotResponse') } },
              StatSnapshotRequest: { fields: { snapshotter: str(1), key: str(2) } },
              StatSnapshotResponse: { fields: {} },
            }),
          },
        },
      },
    },
  },
  // protobufjs's JSON types insist on a `comment` per method and have no map fields; the shape is theirs.
} as unknown as Parameters<typeof fromJSON>[0];

/** containerd answers NOT_FOUND for a blob, image or snapshot it does not hold. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === GrpcStatus.NOT_FOUND;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: (err: ServiceError | null, response?: Res) => void,
) => { cancel(): void };

interface Services {
  version: Client & { Version: Unary<object, { version: string; revision: string }> };
  images: Client & { List: Unary<{ filters: string[] }, { images: ApiImage[] }> };
  content: Client & {
    Info: Unary<{ digest: string }, { info: ApiContentInfo | null }>;
    Read: (
      request: { digest: string },
      metadata: Metadata,
      options: { deadline: number },
    ) => NodeJS.ReadableStream & { cancel(): void };
  };
  snapshots: Client & { Stat: Unary<{ snapshotter: string; key: string }, object> };
}

type ServiceConstructor = new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => Client;

let loaded: Record<keyof Services, ServiceConstructor> | undefined;

function constructors(): Record<keyof Services, ServiceConstructor> {
  if (loaded === undefined) {
    const root = loadPackageDefinition(
      fromJSON(CONTAINERD_API, { longs: Number, defaults: true, keepCase: false }),
    ) as unknown as {
      containerd: { services: Record<keyof Services, { v1: Record<string, ServiceConstructor> }> };
    };
    const s = root.containerd.services;
    const pick = (service: keyof Services, name: string): ServiceConstructor => {
      const ctor = s[service].v1[name];
      if (ctor === undefined) throw new Error(`containerd API: no ${service}.v1.${name} in the schema`);
      return ctor;
    };
    loaded = {
      version: pick('version', 'Version'),
      images: pick('images', 'Images'),
      content: pick('content', 'Content'),
      snapshots: pick('snapshots', 'Snapshots'),
    };
  }
  return loaded;
}

/** How the API client reaches containerd. */
export interface ContainerdApiOptions {
  /** The socket path (e.g. /run/containerd/containerd.sock). */
  readonly address: string;
  readonly namespace: string;
  /** Longest one call may take (default 30 s). */
  readonly callTimeoutMs?: number;
}

/**
 * containerd's gRPC API over its socket, for the questions a job asks several times (which images,
 * which config, unpacked or not): a call here costs a fraction of a millisecond, where each `ctr`
 * process costs tens of milliseconds of CPU, and every node asks in the same seconds.
 */
export class ContainerdApi implements ContainerdReader {
  private services: Services | undefined;

  constructor(private readonly options: ContainerdApiOptions) {}

  async version(signal?: AbortSignal): Promise<{ version: string; revision: string }> {
    return this.unary((s) => s.version.Version.bind(s.version), {}, signal);
  }

  async listImages(filters: readonly string[], signal?: AbortSignal): Promise<ApiImage[]> {
    const reply = await this.unary((s) => s.images.List.bind(s.images), { filters: [...filters] }, signal);
    return reply.images;
  }

  async contentInfo(digest: string, signal?: AbortSignal): Promise<ApiContentInfo | undefined> {
    try {
      const reply = await this.unary((s) => s.content.Info.bind(s.content), { digest }, signal);
      return reply.info ?? undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readContent(digest: string, signal?: AbortSignal): Promise<Buffer> {
    const s = this.connect();
    const call = s.content.Read({ digest }, this.metadata(), { deadline: this.deadline() });
    const forget = whenAborted(signal, () => {
      call.cancel();
    });
    try {
      const chunks: Buffer[] = [];
      for await (const message of call as AsyncIterable<{ data: Buffer }>) chunks.push(message.data);
      return Buffer.concat(chunks);
    } finally {
      forget();
    }
  }

  async hasSnapshot(snapshotter: string, key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.unary((s) => s.snapshots.Stat.bind(s.snapshots), { snapshotter, key }, signal);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  close(): void {
    if (this.services === undefined) return;
    const { version, images, content, snapshots } = this.services;
    for (const client of [version, images, content, snapshots]) client.close();
    this.services = undefined;
  }

  private connect(): Services {
    if (this.services === undefined) {
      const ctors = constructors();
      const target = `unix://${this.options.address}`;
      const creds = credentials.createInsecure();
      this.services = {
        version: new ctors.version(target, creds) as Services['version'],
        images: new ctors.images(target, creds) as Services['images'],
        content: new ctors.content(target, creds) as Services['content'],
        snapshots: new ctors.snapshots(target, creds) as Services['snapshots'],
      };
    }
    return this.services;
  }

  private metadata(): Metadata {
    // containerd scopes every call to the namespace in this header (what ctr's -n sets).
    const metadata = new Metadata();
    metadata.set('containerd-namespace', this.options.namespace);
    return metadata;
  }

  private deadline(): number {
    return Date.now() + (this.options.callTimeoutMs ?? 30_000);
  }

  private unary<Req, Res>(
    method: (s: Services) => Unary<Req, Res>,
    request: Req,
    signal?: AbortSignal,
  ): Promise<Res> {
    signal?.throwIfAborted();
    const call = method(this.connect());
    return new Promise<Res>((resolve, reject) => {
      let forget = (): void => undefined;
      const pending = call(request, this.metadata(), { deadline: this.deadline() }, (err, response) => {
        forget();
        if (err !== null) reject(err);
        else if (response === undefined) reject(new Error('containerd API: empty reply'));
        else resolve(response);
      });
      forget = whenAborted(signal, () => {
        pending.cancel();
      });
    });
  }
}
