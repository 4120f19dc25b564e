import type {
  Heartbeat,
  Job,
  JobEvent,
  JobEventBody,
  JobInput,
  LoadImagesPayloadInput,
  RunState,
} from '../../../shared/control/index.js';
import type { NodeLoadReport } from '../../../shared/node-job/index.js';
import { toWirePieceManifest } from '../../../shared/pieces/index.js';

/** Valid control-plane messages for tests; every builder takes overrides. */

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
export const ARCHIVE_HEX = 'c'.repeat(64);

export function heartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    v: 1,
    node: 'node-a',
    agentVersion: '0.1.0',
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    sentAt: new Date().toISOString(),
    intervalMs: 1000,
    state: 'ready',
    runtime: { kind: 'containerd', version: '1.7.0', endpoint: '/run/containerd.sock', ok: true },
    disk: { path: '/var/lib/containerd', freeBytes: 50 * 2 ** 30, totalBytes: 100 * 2 ** 30 },
    spool: { path: '/var/lib/airlift/spool', freeBytes: 50 * 2 ** 30, totalBytes: 100 * 2 ** 30 },
    bootId: 'boot-1',
    trust: 'signed',
    refusals: { total: 0 },
    grpcAddress: '10.0.0.1:7443',
    ...overrides,
  };
}

export type LoadImagesJob = Extract<Job, { kind: 'load-images' }>;
export const PLAN: LoadImagesJob['payload']['plan'] = {
  entries: [
    { source: 'release.daocloud.io/k/api:v1', target: '10.6.0.1/k/api:v1', configDigest: DIGEST_A },
    { source: 'release.daocloud.io/k/ui:v1', target: '10.6.0.1/k/ui:v1', configDigest: DIGEST_B },
  ],
  unnamedImages: [],
};

export function payload(overrides: Partial<LoadImagesJob['payload']> = {}): LoadImagesJob['payload'] {
  return {
    archive: {
      id: ARCHIVE_HEX,
      size: 4096,
      sha256: `sha256:${ARCHIVE_HEX}`,
      format: 'docker-save',
      entriesEnd: 3072,
      // 4096 bytes in one 256 KiB piece: the single piece's digest is the archive's.
      manifest: { pieceSize: 256 * 1024, size: 4096, pieces: [ARCHIVE_HEX], sha256: `sha256:${ARCHIVE_HEX}` },
      stripes: [
        [
          { address: '10.0.0.8:7481', name: 'node-b' },
          { address: '10.0.0.9:7443', name: 'coordinator' },
        ],
      ],
      servesTo: ['node-c'],
    },
    plan: PLAN,
    skipIfVerified: false,
    timeoutMs: 60_000,
    ...overrides,
  };
}

export function loadImagesJob(overrides: Partial<LoadImagesJob> = {}): LoadImagesJob {
  return {
    v: 1,
    kind: 'load-images',
    jobId: 'r20260101-000000-abcd-n0',
    runId: 'r20260101-000000-abcd',
    node: 'node-a',
    issuedAt: new Date().toISOString(),
    payload: payload(),
    ...overrides,
  };
}

export function report(node: string, ok = true, overrides: Partial<NodeLoadReport> = {}): NodeLoadReport {
  return {
    node,
    runtime: { kind: 'containerd', version: '1.7.0', endpoint: '/run/containerd.sock' },
    bytesLoaded: 4096,
    loadMs: 10,
    totalMs: 12,
    images: PLAN.entries.map((entry, i) => ({
      ...entry,
      loaded: true,
      retagged: true,
      verified: ok || i === 0,
      ...(ok || i === 0 ? {} : { problem: `${entry.target} is missing` }),
    })),
    ok,
    ...overrides,
  };
}

export function jobEvent(body: JobEventBody, overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    v: 1,
    runId: 'r20260101-000000-abcd',
    jobId: 'r20260101-000000-abcd-n0',
    node: 'node-a',
    seq: 0,
    at: new Date().toISOString(),
    body,
    ...overrides,
  };
}

export function runState(nodes: readonly string[], overrides: Partial<RunState> = {}): RunState {
  const now = new Date().toISOString();
  return {
    v: 1,
    runId: 'r20260101-000000-abcd',
    release: 'kairship',
    namespace: 'kairship-system',
    bundle: '/tmp/kairship_0.21.0.bundle.tar',
    chartVersion: '0.21.0',
    imageRegistry: '10.6.0.1',
    runDir: '/tmp/airlift-runs/r20260101-000000-abcd',
    startedAt: now,
    updatedAt: now,
    phase: 'preflight',
    nodes: Object.fromEntries(
      nodes.map((node) => [
        node,
        {
          status: 'pending' as const,
          phase: 'pending',
          bytesDone: 0,
          bytesTotal: 4096,
          verified: 0,
          expected: 2,
        },
      ]),
    ),
    ...overrides,
  };
}

/** A deep copy of `value` with the field at the dotted `path` set to `to`, or removed when `to` is REMOVE. */
export const REMOVE = Symbol('remove');
export function mutate(value: unknown, path: string, to: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const parts = path.split('.');
  const last = parts.pop();
  if (last === undefined) throw new Error('empty path');
  let at: Record<string, unknown> = copy;
  for (const part of parts) at = at[part] as Record<string, unknown>;
  if (to === REMOVE) Reflect.deleteProperty(at, last);
  else at[last] = to;
  return copy;
}

/** A payload as the coordinator sends it: the piece manifest in its wire form. */
export function wirePayload(parsed: LoadImagesJob['payload']): LoadImagesPayloadInput {
  return {
    ...parsed,
    archive: { ...parsed.archive, manifest: toWirePieceManifest(parsed.archive.manifest) },
  };
}

/** A job as it travels on the bus (what jobSchema parses back into `parsed`). */
export function wireJob(parsed: LoadImagesJob): Extract<JobInput, { kind: 'load-images' }> {
  return { ...parsed, payload: wirePayload(parsed.payload) };
}
