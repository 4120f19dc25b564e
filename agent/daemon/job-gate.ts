import { jobSchema, RUN_ID, Subjects, type Job } from '../../shared/control/index.js';
import { openMessage, type TrustPolicy } from '../../shared/trust/index.js';
import type { SeenJobs } from './seen-jobs.js';

/** How fresh a job must be: older ones, and ones from further in the future than the skew, are refused. */
export interface FreshnessWindow {
  /** Oldest a job may be when it arrives (default 10 minutes). */
  readonly maxAgeMs: number;
  /** How far ahead of this node's clock a job's issuedAt may be (clock skew; default 2 minutes). */
  readonly maxSkewMs: number;
}

export const DEFAULT_FRESHNESS: FreshnessWindow = { maxAgeMs: 10 * 60_000, maxSkewMs: 2 * 60_000 };

/** Why a job was refused, in words for the ack and the log. */
export type GateVerdict =
  | { readonly ok: true; readonly job: Job }
  | { readonly ok: false; readonly jobId: string; readonly reason: string };

/**
 * Decides whether a message on this node's job subject may run: signed by the trusted coordinator key,
 * a well-formed job addressed to this node, fresh, and never seen before. Nothing is run, stored or
 * answered with `accepted` unless every check passes.
 */
export class JobGate {
  constructor(
    private readonly node: string,
    private readonly policy: TrustPolicy,
    private readonly seen: SeenJobs,
    private readonly window: FreshnessWindow = DEFAULT_FRESHNESS,
  ) {}

  /** Checks a job message; an accepted job's id is recorded before the verdict is returned. */
  async check(data: Uint8Array, now = Date.now()): Promise<GateVerdict> {
    let job: Job;
    try {
      job = openMessage(jobSchema, 'job', Subjects.job(this.node), data, this.policy).message;
    } catch (err) {
      return { ok: false, jobId: claimedJobId(data), reason: (err as Error).message };
    }
    const refuse = (reason: string): GateVerdict => ({ ok: false, jobId: job.jobId, reason });
    if (job.node !== this.node) return refuse(`job is for node ${job.node}, this is ${this.node}`);
    const issued = Date.parse(job.issuedAt);
    if (now - issued > this.window.maxAgeMs) {
      return refuse(
        `job was issued at ${job.issuedAt}, more than ${Math.round(this.window.maxAgeMs / 1000)} s ago (stale or replayed)`,
      );
    }
    if (issued - now > this.window.maxSkewMs) {
      return refuse(
        `job is dated ${job.issuedAt}, ahead of this node's clock by more than ${Math.round(this.window.maxSkewMs / 1000)} s: check the clocks`,
      );
    }
    if (this.seen.has(job.jobId)) return refuse(`job ${job.jobId} was already accepted once (replayed)`);
    await this.seen.add(job.jobId, issued, now - this.window.maxAgeMs - this.window.maxSkewMs);
    return { ok: true, job };
  }
}

/**
 * The id a refused message claims, echoed in the refusal so the sender can match it to its request
 * (and tell the operator why). Unverified: it only labels the answer, never decides anything.
 */
function claimedJobId(data: Uint8Array): string {
  try {
    const envelope = JSON.parse(Buffer.from(data).toString('utf8')) as { body?: unknown };
    const body = typeof envelope.body === 'string' ? (JSON.parse(envelope.body) as { jobId?: unknown }) : {};
    return typeof body.jobId === 'string' && RUN_ID.test(body.jobId) ? body.jobId : 'unknown';
  } catch {
    return 'unknown';
  }
}
