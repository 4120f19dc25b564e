/** The outcome for one expected reference on one node. */
export interface ImageLoadOutcome {
  readonly source: string;
  readonly target: string;
  readonly configDigest: string;
  /** The runtime holds `source` after the load. */
  readonly loaded: boolean;
  /** `target` was tagged (true as well when source and target are the same reference). */
  readonly retagged: boolean;
  /** `target` exists and points at `configDigest`. */
  readonly verified: boolean;
  /** What the runtime holds under `target`, when it is something else. */
  readonly foundDigest?: string;
  readonly problem?: string;
}

/** What a node did with one archive: the proof the coordinator's barrier checks. */
export interface NodeLoadReport {
  readonly node: string;
  readonly runtime: {
    readonly kind: string;
    readonly version: string;
    readonly endpoint: string;
    readonly namespace?: string;
  };
  readonly bytesLoaded: number;
  readonly loadMs: number;
  readonly totalMs: number;
  readonly images: readonly ImageLoadOutcome[];
  /** True only when every expected reference is verified. */
  readonly ok: boolean;
  /** The failure that stopped the job before verification, if any. */
  readonly error?: { readonly code: string; readonly message: string };
}
