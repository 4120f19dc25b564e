import type { RepoChart } from '../kube/index.js';
import type { DistributionMode } from './distribution-plan.js';

/** Where the coordinator serves the data plane and which cluster tools it runs: recorded with the run. */
export interface SessionSettings {
  readonly listen: string;
  readonly advertise?: string;
  readonly streamListen?: string;
  readonly helm: string;
  readonly kubectl: string;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
}

/** What the operator asked `airlift upgrade` to do, resolved from flags once. */
export interface UpgradeRequest {
  readonly bundlePath: string;
  readonly release: string;
  readonly namespace: string;
  /** Passed to helm as `--version` when given. */
  readonly version?: string;
  /** The registry the cluster pulls from; read from the release's values when absent. */
  readonly imageRegistry?: string;
  readonly nodes: 'all' | readonly string[];
  /** Longest the distribution may take before unreported nodes count as failed (default 30 min). */
  readonly timeoutMs: number;
  /** Where bak.yaml, the extracted chart and run.json go (default ./airlift-runs/<run id>). */
  readonly runDir?: string;
  readonly dryRun: boolean;
  readonly allowHintMismatch: boolean;
  /** Reload even on nodes that already hold every image verified. */
  readonly forceLoad: boolean;
  /**
   * chain (default): pieces relayed node to node; tree: pieces in stripes, each relayed down its own
   * tree of nodes; star: every node fetches from the coordinator.
   */
  readonly distribution: DistributionMode;
  /** Tree mode: stripes, and children per node in each stripe's tree (default 2). */
  readonly stripes: number;
  /** Bytes per piece (a power of two, 256 KiB – 64 MiB). */
  readonly pieceSize: number;
  /**
   * `airlift resume`: the run this one carries on. Its run lock is taken over at once (its coordinator
   * stopped or died), instead of waiting up to the lease's ttl for it to lapse.
   */
  readonly resumes?: string;
  /** Recorded in the run's state so `airlift resume` serves and runs the same (absent in unit tests). */
  readonly session?: SessionSettings;
  /**
   * `--images bundle` (default): every node loads images.tar from the bundle. `registry`: the images are
   * already in the registry (`airlift sync`); every node checks it can resolve each one there.
   */
  readonly images?: 'bundle' | 'registry';
  /** `--pre-pull` (registry mode): every node pulls each image before the barrier, not only resolves it. */
  readonly prePull?: boolean;
  /** `--registry-plain-http` (registry mode): nodes speak plain HTTP to the image registry. */
  readonly registryPlainHttp?: boolean;
  /** `--from-repo REPO/CHART [--repo-url URL]`: the kube phase upgrades from that helm repository. */
  readonly fromRepo?: RepoChart;
  /**
   * `airlift resume`: the release revision the first run recorded before it changed anything, kept so
   * `airlift rollback` of the resumed run goes back there too (not to a revision the first run made).
   */
  readonly revisionBefore?: number;
}

/** Defaults of the numbers above, documented in the README. */
export const UPGRADE_DEFAULTS = {
  timeoutMs: 30 * 60 * 1000,
  /** How long an agent has to accept a job. */
  ackTimeoutMs: 10_000,
  livenessCheckMs: 1_000,
  /** Free space a node needs, as a multiple of images.tar: the stored blobs plus their unpacked layers. */
  diskFactor: 2,
} as const;
