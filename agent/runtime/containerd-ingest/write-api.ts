import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { isNotFound, type ApiContentInfo, type ApiDescriptor } from '../containerd-api.js';
import { ContentWriteConnection, type ContentWriteStream } from './content-write-stream.js';
import { CONTAINERD_WRITE_API } from './write-api-schema.js';

/** A mount as the snapshotter hands it out and the differ takes it back. */
export interface ApiMount {
  readonly type: string;
  readonly source: string;
  readonly target: string;
  readonly options: readonly string[];
}

/** One message of content.Write, both ways (fields unset in a direction stay at their defaults). */
export interface WriteMessage {
  readonly action: 'STAT' | 'WRITE' | 'COMMIT';
  readonly ref?: string;
  readonly total?: number;
  readonly expected?: string;
  readonly offset?: number;
  readonly data?: Buffer;
  readonly labels?: Readonly<Record<string, string>>;
}
export type WriteCall = ContentWriteStream;

/** The write-side calls an import makes, one method per RPC: a seam for tests. */
export interface ContainerdWriter {
  /** The same client with every call made under `lease` (metadata `containerd-lease`). */
  withLease(lease: string | undefined): ContainerdWriter;
  createLease(id: string, labels: Readonly<Record<string, string>>): Promise<void>;
  /** `sync` makes containerd collect garbage before it answers. */
  deleteLease(id: string, sync: boolean): Promise<void>;
  /** Puts a blob that is already there under the lease, so GC keeps it until an image names it. */
  leaseContent(lease: string, digest: string): Promise<void>;
  contentInfo(digest: string): Promise<ApiContentInfo | undefined>;
  /** Sets these labels on a blob, leaving its other labels alone. */
  setContentLabels(digest: string, labels: Readonly<Record<string, string>>): Promise<void>;
  readContent(digest: string): Promise<Buffer>;
  /** Opens a content.Write stream; the caller sends STAT, WRITEs and COMMIT. */
  openWrite(): WriteCall;
  prepareSnapshot(
    sn: string,
    key: string,
    parent: string,
    labels: Record<string, string>,
  ): Promise<ApiMount[]>;
  commitSnapshot(sn: string, name: string, key: string, labels: Record<string, string>): Promise<void>;
  removeSnapshot(sn: string, key: string): Promise<void>;
  hasSnapshot(sn: string, key: string): Promise<boolean>;
  /** Unpacks the layer blob `layer` onto the mounts (decompressing as its media type says); its diff id. */
  applyDiff(layer: ApiDescriptor, mounts: readonly ApiMount[]): Promise<ApiDescriptor>;
  /** Points image `name` at `target`: Update, else Create, as containerd's own import does. */
  putImage(name: string, target: ApiDescriptor): Promise<void>;
  close(): void;
}

type Callback<Res> = (err: ServiceError | null, response?: Res) => void;
type Unary = (req: unknown, md: Metadata, opts: { deadline: number }, cb: Callback<unknown>) => unknown;
type ServiceName = 'leases' | 'content' | 'snapshots' | 'diff' | 'images';
type Services = Record<ServiceName, Client & Record<string, Unary>>;
type Ctor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;

const SERVICE_TYPES: Record<ServiceName, string> = {
  leases: 'Leases',
  content: 'Content',
  snapshots: 'Snapshots',
  diff: 'Diff',
  images: 'Images',
};
let loaded: Record<ServiceName, Ctor> | undefined;
/** The connections every lease's view of one client shares. */
interface SharedConnections {
  services: Services | undefined;
  readonly writes: ContentWriteConnection;
}

function constructors(): Record<ServiceName, Ctor> {
  if (loaded === undefined) {
    const root = loadPackageDefinition(
      fromJSON(CONTAINERD_WRITE_API, { longs: Number, enums: String, defaults: true, keepCase: false }),
    ) as unknown as { containerd: { services: Record<ServiceName, { v1: Record<string, Ctor> }> } };
    const ctors: Partial<Record<ServiceName, Ctor>> = {};
    for (const [name, type] of Object.entries(SERVICE_TYPES) as [ServiceName, string][]) {
      const ctor = root.containerd.services[name].v1[type];
      if (ctor === undefined) throw new Error(`containerd API: no ${name}.v1.${type} in the schema`);
      ctors[name] = ctor;
    }
    loaded = ctors as Record<ServiceName, Ctor>;
  }
  return loaded;
}

/** How the write client reaches containerd. */
export interface ContainerdWriteApiOptions {
  readonly address: string;
  readonly namespace: string;
  /** Longest one unary call may take (default 5 min: an Apply unpacks a whole layer). */
  readonly callTimeoutMs?: number;
}

/** containerd's API for importing an image piece by piece, over its socket. */
export class ContainerdWriteApi implements ContainerdWriter {
  private readonly shared: SharedConnections;

  constructor(
    private readonly options: ContainerdWriteApiOptions,
    private readonly lease?: string,
    shared?: SharedConnections,
  ) {
    this.shared = shared ?? { services: undefined, writes: new ContentWriteConnection(options.address) };
  }

  withLease(lease: string | undefined): ContainerdWriter {
    return new ContainerdWriteApi(this.options, lease, this.shared);
  }

  async createLease(id: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.unary('leases', 'Create', { id, labels });
  }

  async deleteLease(id: string, sync: boolean): Promise<void> {
    await this.unary('leases', 'Delete', { id, sync });
  }

  async leaseContent(lease: string, digest: string): Promise<void> {
    await this.unary('leases', 'AddResource', { id: lease, resource: { id: digest, type: 'content' } });
  }

  async contentInfo(digest: string): Promise<ApiContentInfo | undefined> {
    try {
      return ((await this.unary('content', 'Info', { digest })) as { info: ApiContentInfo }).info;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async setContentLabels(digest: string, labels: Readonly<Record<string, string>>): Promise<void> {
    // The mask names each label, so labels set by others (GC refs of other snapshotters) stay.
    const paths = Object.keys(labels).map((key) => `labels.${key}`);
    await this.unary('content', 'Update', { info: { digest, labels }, updateMask: { paths } });
  }

  async readContent(digest: string): Promise<Buffer> {
    const s = this.connect();
    const read = s.content['Read'] as unknown as (
      req: unknown,
      md: Metadata,
      opts: object,
    ) => AsyncIterable<{ data: Buffer }>;
    const chunks: Buffer[] = [];
    const deadline = Date.now() + (this.options.callTimeoutMs ?? 5 * 60_000);
    for await (const m of read.call(s.content, { digest }, this.metadata(), { deadline }))
      chunks.push(m.data);
    return Buffer.concat(chunks);
  }

  openWrite(): WriteCall {
    // No deadline: a layer of gigabytes arrives as fast as the data plane brings it.
    return this.shared.writes.open(this.options.namespace, this.lease);
  }

  async prepareSnapshot(
    snapshotter: string,
    key: string,
    parent: string,
    labels: Record<string, string>,
  ): Promise<ApiMount[]> {
    const reply = await this.unary('snapshots', 'Prepare', { snapshotter, key, parent, labels });
    return (reply as { mounts: ApiMount[] }).mounts;
  }

  async commitSnapshot(snapshotter: string, name: string, key: string, labels: Record<string, string>) {
    await this.unary('snapshots', 'Commit', { snapshotter, name, key, labels });
  }

  async removeSnapshot(snapshotter: string, key: string): Promise<void> {
    await this.unary('snapshots', 'Remove', { snapshotter, key });
  }

  async hasSnapshot(snapshotter: string, key: string): Promise<boolean> {
    try {
      await this.unary('snapshots', 'Stat', { snapshotter, key });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async applyDiff(layer: ApiDescriptor, mounts: readonly ApiMount[]): Promise<ApiDescriptor> {
    const reply = await this.unary('diff', 'Apply', { diff: layer, mounts });
    return (reply as { applied: ApiDescriptor }).applied;
  }

  async putImage(name: string, target: ApiDescriptor): Promise<void> {
    const image = { name, target };
    try {
      await this.unary('images', 'Update', { image, updateMask: { paths: ['target'] } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.unary('images', 'Create', { image });
    }
  }

  close(): void {
    this.shared.writes.close();
    const services = this.shared.services;
    if (services === undefined) return;
    for (const client of Object.values(services)) client.close();
    this.shared.services = undefined;
  }

  private connect(): Services {
    if (this.shared.services === undefined) {
      const ctors = constructors();
      const target = `unix://${this.options.address}`;
      const creds = credentials.createInsecure();
      const services: Partial<Services> = {};
      for (const name of Object.keys(SERVICE_TYPES) as ServiceName[])
        services[name] = new ctors[name](target, creds) as Services[ServiceName];
      this.shared.services = services as Services;
    }
    return this.shared.services;
  }

  private metadata(): Metadata {
    // containerd scopes every call to the namespace in this header; a lease header puts everything the
    // call creates (ingests, blobs, snapshots) under that lease, out of GC's reach until it ends.
    const metadata = new Metadata();
    metadata.set('containerd-namespace', this.options.namespace);
    if (this.lease !== undefined) metadata.set('containerd-lease', this.lease);
    return metadata;
  }

  private unary(service: ServiceName, method: string, request: unknown): Promise<unknown> {
    const client = this.connect()[service];
    const call = client[method];
    if (call === undefined) return Promise.reject(new Error(`containerd API: no ${service}.${method}`));
    const deadline = Date.now() + (this.options.callTimeoutMs ?? 5 * 60_000);
    return new Promise((resolve, reject) => {
      call.call(client, request, this.metadata(), { deadline }, (err, response) => {
        if (err !== null) reject(err);
        else resolve(response);
      });
    });
  }
}
