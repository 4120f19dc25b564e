import type { Logger } from 'pino';
import type { Bus } from '../../shared/bus/bus.js';
import {
  Subjects,
  jobAckSchema,
  type CheckRegistryImagesPayloadInput,
  type JobInput,
  type LoadImagesPayloadInput,
} from '../../shared/control/index.js';
import { openMessage, seal, type TrustContext } from '../../shared/trust/index.js';

/** The job a node runs now: the id its events must carry, and the agent process that took it. */
export interface LiveJob {
  readonly jobId: string;
  readonly attempt: number;
  /** The bootId of the agent that accepted it; undefined until the ack arrives. */
  bootId: string | undefined;
}

/** What the sender needs: the bus, how to sign and check, and each node's payload. */
export interface JobSenderInput {
  readonly bus: Bus;
  readonly trust: TrustContext;
  readonly runId: string;
  /** Each node's load-images payload (the bundle path). */
  readonly payloadFor?: (node: string) => LoadImagesPayloadInput;
  /** The registry path: every node gets this check-registry-images payload instead. */
  readonly registryPayload?: CheckRegistryImagesPayloadInput;
  readonly ackTimeoutMs: number;
  readonly logger: Logger;
}

/** The agent's answer: accepted (with the agent's boot id), or why not. */
export type SendResult = { accepted: true } | { accepted: false; problem: string };

/**
 * Issues signed, node-bound jobs and checks the agents' signed acks. Each attempt has its own job id
 * (agents refuse an id twice), so a job re-sent to a restarted agent is a new job, not a replay.
 */
export class JobSender {
  /** The job each node should be running now. */
  readonly live = new Map<string, LiveJob>();

  constructor(private readonly input: JobSenderInput) {}

  /** Sends attempt `attempt` of node `index`'s job and waits for its ack. */
  async send(node: string, index: number, attempt: number): Promise<SendResult> {
    const { runId, trust } = this.input;
    const jobId = `${runId}-n${index}${attempt === 0 ? '' : `-a${attempt}`}`;
    const envelope = { v: 1 as const, jobId, runId, node, issuedAt: new Date().toISOString() };
    const { registryPayload, payloadFor } = this.input;
    let job: JobInput;
    if (registryPayload !== undefined) {
      job = { ...envelope, kind: 'check-registry-images', payload: registryPayload };
    } else if (payloadFor !== undefined) {
      job = { ...envelope, kind: 'load-images', payload: payloadFor(node) };
    } else {
      throw new Error('JobSender needs payloadFor or registryPayload');
    }
    const live: LiveJob = { jobId, attempt, bootId: undefined };
    this.live.set(node, live);
    const subject = Subjects.job(node);
    let reply: Uint8Array;
    try {
      reply = await this.input.bus.request(subject, seal('job', job, trust.sealer), this.input.ackTimeoutMs);
    } catch (err) {
      return { accepted: false, problem: `job not delivered: ${(err as Error).message}` };
    }
    let ack;
    try {
      const opened = openMessage(jobAckSchema, 'ack', subject, reply, trust.policy);
      ack = opened.message;
      if (!trust.insecure && opened.signer !== node)
        throw new Error(`the ack is signed by ${opened.signer ?? 'nobody'}, not ${node}`);
      if (ack.node !== node || ack.jobId !== jobId)
        throw new Error(`the ack answers job ${ack.jobId} of ${ack.node}`);
    } catch (err) {
      this.input.logger.warn({ node, jobId, err: (err as Error).message }, 'ack refused');
      return { accepted: false, problem: `the job's answer was refused: ${(err as Error).message}` };
    }
    if (!ack.accepted)
      return { accepted: false, problem: `agent refused the job: ${ack.reason ?? 'no reason given'}` };
    live.bootId = ack.bootId;
    this.input.logger.info({ node, jobId, attempt }, 'job accepted');
    return { accepted: true };
  }
}
