import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import {
  WireMessageError,
  decodeMessage,
  encodeMessage,
  heartbeatSchema,
  jobAckSchema,
  jobEventSchema,
  jobSchema,
  runStateSchema,
} from '../../../shared/control/index.js';
import { ErrorCode } from '../../../shared/errors/index.js';
import { assertAirliftError, thrownBy } from '../../helpers/airlift-error-assertions.js';
import { toWirePieceManifest, wirePieceManifestSchema } from '../../../shared/pieces/index.js';
import {
  DIGEST_A,
  REMOVE,
  heartbeat,
  jobEvent,
  loadImagesJob,
  mutate,
  report,
  runState,
  wireJob,
  type LoadImagesJob,
} from './control-fixtures.js';

const SUBJECT = 'airlift.v1.test';

/** Decodes `value` as it would arrive on the bus, expecting a rejection naming `field` (and `detail`). */
function rejects(schema: z.ZodType, value: unknown, field: string, detail?: RegExp): void {
  const err = thrownBy(() => decodeMessage(schema, SUBJECT, encodeMessage(value)));
  assertAirliftError(err, WireMessageError, ErrorCode.WireMessageInvalid, [
    `message on ${SUBJECT} rejected`,
    `field ${field}:`,
  ]);
  if (detail !== undefined) assert.match((err as Error).message, detail);
}

function accepts<T>(schema: z.ZodType<T>, value: T): void {
  assert.deepEqual(decodeMessage(schema, SUBJECT, encodeMessage(value)), value);
}

const BAD_NODE_NAMES = ['node-*', 'node->', 'node a', '>', '*'];

describe('heartbeatSchema', () => {
  it('accepts a heartbeat with and without a job in hand', () => {
    accepts(heartbeatSchema, heartbeat());
    accepts(
      heartbeatSchema,
      heartbeat({
        state: 'busy',
        job: {
          jobId: 'j',
          runId: 'r',
          phase: 'loading',
          bytesDone: 1,
          bytesTotal: 2,
          startedAt: new Date().toISOString(),
        },
      }),
    );
  });

  it('rejects a wrong version, a missing or out-of-range field, naming the field', () => {
    rejects(heartbeatSchema, mutate(heartbeat(), 'v', 2), 'v');
    rejects(heartbeatSchema, mutate(heartbeat(), 'runtime', REMOVE), 'runtime');
    rejects(heartbeatSchema, mutate(heartbeat(), 'disk.freeBytes', REMOVE), 'disk.freeBytes');
    rejects(heartbeatSchema, mutate(heartbeat(), 'intervalMs', 0), 'intervalMs');
    rejects(heartbeatSchema, mutate(heartbeat(), 'state', 'sleeping'), 'state');
    rejects(heartbeatSchema, mutate(heartbeat(), 'runtime.kind', 'podman'), 'runtime.kind');
  });

  it('rejects a node name that is not a subject token', () => {
    for (const node of BAD_NODE_NAMES) rejects(heartbeatSchema, heartbeat({ node }), 'node');
  });
});

describe('jobSchema', () => {
  /** A job as it travels on the bus. */
  const job = (overrides: Partial<LoadImagesJob> = {}): unknown => wireJob(loadImagesJob(overrides));

  it('carries the piece digests packed, and parses them back to the manifest, a third smaller than hex', () => {
    const manifest = {
      pieceSize: 16 * 1024,
      size: 257 * 16 * 1024 - 5,
      pieces: Array.from({ length: 257 }, (_, i) => createHash('sha256').update(String(i)).digest('hex')),
      sha256: DIGEST_A,
    };
    const wire = toWirePieceManifest(manifest);
    assert.deepEqual(wirePieceManifestSchema.parse(JSON.parse(JSON.stringify(wire))), manifest);
    assert.ok(
      JSON.stringify(wire).length < 0.67 * JSON.stringify(manifest).length,
      `${JSON.stringify(wire).length} bytes packed against ${JSON.stringify(manifest).length} as hex`,
    );
    const digests = 'payload.archive.manifest.digests';
    rejects(jobSchema, mutate(job(), digests, 'not base64!'), digests, /expected base64/);
    rejects(jobSchema, mutate(job(), digests, Buffer.alloc(31).toString('base64')), digests, /31 bytes/);
    rejects(
      jobSchema,
      mutate(job(), digests, Buffer.alloc(64).toString('base64')),
      'payload.archive.manifest.pieces',
      /make 1 pieces, not 2/,
    );
  });

  it('accepts a load-images job', () => {
    // What arrives is the job as built, its manifest unpacked from the wire form.
    const parsed = loadImagesJob();
    assert.deepEqual(decodeMessage(jobSchema, SUBJECT, encodeMessage(wireJob(parsed))), parsed);
  });

  it('rejects an issuedAt that is not an ISO time', () => {
    rejects(jobSchema, mutate(job(), 'issuedAt', 'yesterday'), 'issuedAt');
  });

  it('rejects a wrong version and missing fields, naming the field', () => {
    rejects(jobSchema, mutate(job(), 'v', 2), 'v');
    rejects(jobSchema, mutate(job(), 'payload.plan', REMOVE), 'payload.plan');
    rejects(jobSchema, mutate(job(), 'jobId', REMOVE), 'jobId');
    rejects(jobSchema, mutate(job(), 'payload.plan.entries', []), 'payload.plan.entries');
    rejects(jobSchema, mutate(job(), 'payload.timeoutMs', -1), 'payload.timeoutMs');
  });

  it('rejects a bad digest or archive id wherever it is', () => {
    rejects(
      jobSchema,
      mutate(job(), 'payload.archive.sha256', 'md5:abc'),
      'payload.archive.sha256',
      /expected sha256:<64 hex>/,
    );
    rejects(
      jobSchema,
      mutate(job(), 'payload.plan.entries.1.configDigest', `sha256:${'A'.repeat(64)}`),
      'payload.plan.entries[1].configDigest',
      /expected sha256:<64 hex>/,
    );
    rejects(jobSchema, mutate(job(), 'payload.archive.id', 'c'.repeat(63)), 'payload.archive.id');
  });

  it('names who serves each piece source and whom the node serves, and rejects what a subject could not hold', () => {
    const sources = 'payload.archive.stripes';
    rejects(jobSchema, mutate(job(), sources, [['10.0.0.8:7481']]), 'payload.archive.stripes[0][0]');
    rejects(
      jobSchema,
      mutate(job(), `${sources}.0.0`, { address: '10.0.0.8:7481', name: 'node *' }),
      'payload.archive.stripes[0][0].name',
    );
    rejects(
      jobSchema,
      mutate(job(), `${sources}.0.0`, { address: '', name: 'node-b' }),
      'payload.archive.stripes[0][0].address',
    );
    rejects(jobSchema, mutate(job(), `${sources}.0`, []), 'payload.archive.stripes[0]');
    rejects(jobSchema, mutate(job(), 'payload.archive.servesTo', REMOVE), 'payload.archive.servesTo');
    for (const node of BAD_NODE_NAMES) {
      rejects(jobSchema, mutate(job(), 'payload.archive.servesTo', [node]), 'payload.archive.servesTo[0]');
    }
    const parsed = mutate(loadImagesJob(), 'payload.archive.servesTo', []) as LoadImagesJob;
    assert.deepEqual(decodeMessage(jobSchema, SUBJECT, encodeMessage(wireJob(parsed))), parsed);
  });

  it('accepts staged import parts and rejects spans a node could not follow, naming the span', () => {
    const manifest = '[{"Config":"c.json","RepoTags":[],"Layers":[]}]';
    const parts = [
      { spans: [{ offset: 0, length: 1024 }], dockerManifest: manifest },
      {
        spans: [
          { offset: 0, length: 512 },
          { offset: 1536, length: 1536 },
        ],
        dockerManifest: manifest,
      },
    ];
    const parsed = mutate(loadImagesJob(), 'payload.archive.importParts', parts) as LoadImagesJob;
    const staged = wireJob(parsed);
    assert.deepEqual(decodeMessage(jobSchema, SUBJECT, encodeMessage(staged)), parsed);
    const withSpans = (spans: unknown): unknown =>
      mutate(staged, 'payload.archive.importParts.1.spans', spans);
    rejects(
      jobSchema,
      withSpans([{ offset: 2048, length: 1536 }]),
      'payload.archive.importParts[1].spans[0]',
      /past the members \(entriesEnd 3072\)/,
    );
    rejects(
      jobSchema,
      withSpans([{ offset: 100, length: 512 }]),
      'payload.archive.importParts[1].spans[0].offset',
    );
    rejects(
      jobSchema,
      withSpans([
        { offset: 1024, length: 1024 },
        { offset: 1536, length: 512 },
      ]),
      'payload.archive.importParts[1].spans[1].offset',
      /ascending and disjoint/,
    );
    rejects(jobSchema, withSpans([]), 'payload.archive.importParts[1].spans');
    rejects(
      jobSchema,
      mutate(job(), 'payload.archive.importParts', parts.slice(0, 1)),
      'payload.archive.importParts',
    );
  });

  it('rejects node names and run ids that would break subjects', () => {
    for (const node of BAD_NODE_NAMES) rejects(jobSchema, job({ node }), 'node');
    rejects(jobSchema, job({ node: '' }), 'node');
    rejects(jobSchema, job({ runId: 'r.1' }), 'runId');
    rejects(jobSchema, job({ runId: 'r*' }), 'runId');
    rejects(jobSchema, job({ jobId: 'j 1' }), 'jobId');
  });

  it('rejects a job kind agents do not know', () => {
    rejects(jobSchema, mutate(job(), 'kind', 'exec-shell'), 'kind');
    rejects(jobSchema, mutate(job(), 'kind', REMOVE), 'kind');
  });
});

describe('jobAckSchema', () => {
  it('accepts an acceptance and a refusal with a reason', () => {
    accepts(jobAckSchema, { v: 1, jobId: 'j', node: 'node-a', accepted: true });
    accepts(jobAckSchema, { v: 1, jobId: 'j', node: 'node-a', accepted: false, reason: 'agent is busy' });
  });

  it('rejects a wrong version and a missing verdict', () => {
    rejects(jobAckSchema, { v: 0, jobId: 'j', node: 'node-a', accepted: true }, 'v');
    rejects(jobAckSchema, { v: 1, jobId: 'j', node: 'node-a' }, 'accepted');
  });

  it('rejects a node name that is not a subject token', () => {
    for (const node of BAD_NODE_NAMES)
      rejects(jobAckSchema, { v: 1, jobId: 'j', node, accepted: true }, 'node');
  });
});

describe('jobEventSchema', () => {
  it('accepts phase, progress and report events', () => {
    accepts(jobEventSchema, jobEvent({ type: 'phase', phase: 'loading' }));
    accepts(jobEventSchema, jobEvent({ type: 'progress', bytesDone: 10, bytesTotal: 20, rate: 5 }));
    accepts(jobEventSchema, jobEvent({ type: 'report', report: report('node-a', false) }));
  });

  it('rejects a wrong version, unknown body types and bad values, naming the field', () => {
    const phase = jobEvent({ type: 'phase', phase: 'loading' });
    rejects(jobEventSchema, mutate(phase, 'v', 2), 'v');
    rejects(jobEventSchema, mutate(phase, 'seq', -1), 'seq');
    rejects(jobEventSchema, mutate(phase, 'body.type', 'log'), 'body.type');
    rejects(jobEventSchema, mutate(phase, 'body.phase', 'unpacking'), 'body.phase');
    const progress = jobEvent({ type: 'progress', bytesDone: 10, bytesTotal: 20, rate: 5 });
    rejects(jobEventSchema, mutate(progress, 'body.rate', -1), 'body.rate');
    const done = jobEvent({ type: 'report', report: report('node-a') });
    rejects(jobEventSchema, mutate(done, 'body.report.ok', REMOVE), 'body.report.ok');
    rejects(
      jobEventSchema,
      mutate(done, 'body.report.images.0.verified', 'yes'),
      'body.report.images[0].verified',
    );
  });

  it('rejects a node name that is not a subject token', () => {
    for (const node of BAD_NODE_NAMES)
      rejects(jobEventSchema, jobEvent({ type: 'phase', phase: 'done' }, { node }), 'node');
  });
});

describe('runStateSchema', () => {
  it('accepts a run in progress and a failed run', () => {
    accepts(runStateSchema, runState(['node-a', 'node-b']));
    accepts(
      runStateSchema,
      runState(['node-a'], { phase: 'failed', failure: { phase: 'barrier', message: 'node-a failed' } }),
    );
  });

  it('rejects a wrong version, an unknown phase or node status, naming the field', () => {
    const state = runState(['node-a']);
    rejects(runStateSchema, mutate(state, 'v', 2), 'v');
    rejects(runStateSchema, mutate(state, 'phase', 'rolling'), 'phase');
    rejects(runStateSchema, mutate(state, 'nodes.node-a.status', 'verifying'), 'nodes.node-a.status');
    rejects(runStateSchema, mutate(state, 'nodes.node-a.verified', 1.5), 'nodes.node-a.verified');
    rejects(runStateSchema, mutate(state, 'imageRegistry', REMOVE), 'imageRegistry');
    rejects(runStateSchema, { ...state, failure: { phase: 'barrier' } }, 'failure.message');
  });

  it('rejects a node name that is not a subject token as a key of nodes', () => {
    for (const node of BAD_NODE_NAMES) rejects(runStateSchema, runState([node]), `nodes.${node}`);
  });
});
