import type { Readable } from 'node:stream';

/** The two runtimes a Kubernetes node pulls images through. */
export type RuntimeKind = 'docker' | 'containerd';

/** What a runtime says about itself. */
export interface RuntimeInfo {
  readonly kind: RuntimeKind;
  readonly version: string;
  /** Socket or URL it was reached at. */
  readonly endpoint: string;
  /** containerd only: the namespace images land in (kubelet uses `k8s.io`). */
  readonly namespace?: string;
}

/** An image as the runtime holds it under one reference. */
export interface RuntimeImage {
  readonly reference: string;
  /** sha256 of the image config: Docker's image ID; containerd's manifest `config.digest`. */
  readonly configDigest: string;
  /**
   * All content present and unpacked, so kubelet can start containers from it. A failed containerd
   * import can leave a name behind whose layers never unpacked; such an image is not usable.
   */
  readonly usable: boolean;
}

/** What a load reported. */
export interface LoadResult {
  /** References the runtime said it loaded, as it printed them. */
  readonly loaded: readonly string[];
  readonly bytes: number;
  readonly durationMs: number;
}

/** What a job knows about an archive before its bytes arrive. */
export interface LoadHints {
  /**
   * A docker manifest.json naming every image of the archive by its members and names: a runtime that
   * imports while bytes arrive unpacks each layer as soon as it is stored, not after the archive's end.
   */
  readonly manifest?: string;
}

/** How a node reaches a registry; credentials and TLS come from the runtime's own configuration. */
export interface RegistryPullOptions {
  /** Speak plain HTTP to the reference's registry (containerd: `ctr --plain-http`). */
  readonly plainHttp?: boolean;
  /** containerd's hosts directory (hosts.toml per registry; default /etc/containerd/certs.d). */
  readonly hostsDir?: string;
}

/** What the registry answered for a reference. */
export interface ResolvedImage {
  /** Digest of what the reference names there: a manifest or an index. */
  readonly digest: string;
  /** This platform's image config digest, when the runtime learns it without pulling the layers. */
  readonly configDigest?: string;
}

/** The one interface the node job uses, so the job logic is testable and both runtimes are interchangeable. */
export interface ContainerRuntime {
  readonly kind: RuntimeKind;
  /** Asks the runtime for its version; rejects with RuntimeUnavailableError if it does not answer. */
  info(signal?: AbortSignal): Promise<RuntimeInfo>;
  /** Streams an image archive (docker-save or OCI tar) into the runtime as the bytes arrive. */
  load(archive: Readable, signal?: AbortSignal, hints?: LoadHints): Promise<LoadResult>;
  /**
   * True when load(), given hints.manifest, unpacks layer by layer while the archive still arrives: the
   * job then feeds it the whole archive from its first piece instead of staged parts.
   */
  readonly importsWhileArriving?: boolean;
  /** Points `target` at the image `source` names, replacing any earlier `target`. */
  tag(source: string, target: string, signal?: AbortSignal): Promise<void>;
  /** The image a full reference names, or undefined when the runtime has no such reference. */
  inspect(reference: string, signal?: AbortSignal): Promise<RuntimeImage | undefined>;
  /** inspect() for many references at once (one listing where the runtime allows); absent ones are left out. */
  inspectAll(references: readonly string[], signal?: AbortSignal): Promise<Map<string, RuntimeImage>>;
  /** Removes a reference (not the content other references share); no error when absent. */
  untag(reference: string, signal?: AbortSignal): Promise<void>;
  /**
   * Asks the registry what `reference` names, without pulling its layers; rejects with
   * RegistryPullError when the registry cannot be reached or does not have it.
   */
  resolve?(reference: string, options: RegistryPullOptions, signal?: AbortSignal): Promise<ResolvedImage>;
  /** Pulls `reference` from its registry and unpacks it, as kubelet would; rejects with RegistryPullError. */
  pull?(reference: string, options: RegistryPullOptions, signal?: AbortSignal): Promise<void>;
  /** Releases connections; idempotent. */
  close(): Promise<void>;
}
