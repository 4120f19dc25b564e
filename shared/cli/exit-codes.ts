import { AirliftError } from '../errors/index.js';
import { ErrorCode } from '../errors/codes.js';

/** Process exit codes, one per failure class; documented in README.md. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  BadBundle: 3,
  RuntimeUnavailable: 4,
  VerificationFailed: 5,
  CommandFailed: 6,
  /** A preflight check failed, or NATS / the data-plane port is unusable; nothing ran. */
  PreflightFailed: 7,
  /** `airlift upgrade`: some node did not verify every image; the cluster was not touched. */
  BarrierFailed: 8,
  /** `airlift upgrade`: backup, CRDs or helm upgrade failed; bak.yaml is kept. */
  KubePhaseFailed: 9,
  /** Stopped by SIGINT/SIGTERM. */
  Interrupted: 10,
  /** `status`: some targeted agent is stale, down, unknown, or none announced itself. */
  Unhealthy: 11,
  /** `sync`: the registry or the chart repository refused or failed; a rerun skips what landed. */
  PublishFailed: 12,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_ERROR: Partial<Record<ErrorCode, ExitCode>> = {
  [ErrorCode.ConfigInvalid]: ExitCode.Usage,
  [ErrorCode.BundleNotFound]: ExitCode.BadBundle,
  [ErrorCode.BundleMissingEntry]: ExitCode.BadBundle,
  [ErrorCode.BundleUnsafeEntry]: ExitCode.BadBundle,
  [ErrorCode.BundleTruncated]: ExitCode.BadBundle,
  [ErrorCode.BundleMalformed]: ExitCode.BadBundle,
  [ErrorCode.ArchiveMalformed]: ExitCode.BadBundle,
  [ErrorCode.ArchiveMissingBlob]: ExitCode.BadBundle,
  [ErrorCode.InvalidReference]: ExitCode.BadBundle,
  [ErrorCode.TemplateError]: ExitCode.BadBundle,
  [ErrorCode.RuntimeUnavailable]: ExitCode.RuntimeUnavailable,
  [ErrorCode.RuntimeLoadFailed]: ExitCode.VerificationFailed,
  [ErrorCode.RuntimeTagFailed]: ExitCode.VerificationFailed,
  [ErrorCode.RuntimeBlobRejected]: ExitCode.VerificationFailed,
  [ErrorCode.ImageVerificationFailed]: ExitCode.VerificationFailed,
  [ErrorCode.CommandFailed]: ExitCode.CommandFailed,
  [ErrorCode.CommandTimedOut]: ExitCode.CommandFailed,
  [ErrorCode.CommandNotFound]: ExitCode.CommandFailed,
  [ErrorCode.ReleaseNotFound]: ExitCode.PreflightFailed,
  [ErrorCode.BusUnavailable]: ExitCode.PreflightFailed,
  [ErrorCode.BusAuthFailed]: ExitCode.PreflightFailed,
  [ErrorCode.DataPlaneListenFailed]: ExitCode.PreflightFailed,
  [ErrorCode.RunLocked]: ExitCode.PreflightFailed,
  [ErrorCode.IdentityInvalid]: ExitCode.Usage,
  [ErrorCode.ChartExtractFailed]: ExitCode.KubePhaseFailed,
  [ErrorCode.KubePhaseFailed]: ExitCode.KubePhaseFailed,
  [ErrorCode.RegistryUnreachable]: ExitCode.PublishFailed,
  [ErrorCode.RegistryAuthFailed]: ExitCode.PublishFailed,
  [ErrorCode.RegistryRequestFailed]: ExitCode.PublishFailed,
  [ErrorCode.ChartPublishFailed]: ExitCode.PublishFailed,
  [ErrorCode.ChartRelocateFailed]: ExitCode.BadBundle,
};

/** The exit code for an error that ended a command. */
export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof AirliftError ? (BY_ERROR[err.code] ?? ExitCode.Unexpected) : ExitCode.Unexpected;
}
