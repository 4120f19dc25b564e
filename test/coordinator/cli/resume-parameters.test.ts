import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import {
  absoluteSessionPaths,
  resumeRequest,
  type RecordedFlag,
  type ResumeFlags,
} from '../../../coordinator/cli/resume-parameters.js';
import { runStateSchema, type RunState } from '../../../shared/control/index.js';
import { ConfigInvalidError } from '../../../shared/errors/index.js';

const PARAMETERS = {
  timeoutMs: 90_000,
  distribution: 'tree',
  stripes: 4,
  pieceSize: 1024 * 1024,
  allowHintMismatch: true,
  listen: '10.0.0.5:9480',
  advertise: 'spark.lan:9480',
  streamListen: '10.0.0.5:9482',
  helm: '/opt/helm-3.15/helm',
  kubectl: '/opt/kube/kubectl',
  kubeconfig: '/etc/rancher/k3s/k3s.yaml',
  kubeContext: 'prod',
} as const;

function record(parameters?: RunState['parameters']): RunState {
  return {
    v: 1,
    runId: 'r20261207-014000-3f9a',
    release: 'kairship',
    namespace: 'kairship-system',
    bundle: '/srv/kairship_0.21.0.bundle.tar',
    chartVersion: '0.21.0',
    version: '0.21.0',
    imageRegistry: 'registry.local:5000',
    runDir: '/srv/airlift-runs/r20261207-014000-3f9a',
    ...(parameters === undefined ? {} : { parameters }),
    startedAt: '2026-12-07T01:40:00.000Z',
    updatedAt: '2026-12-07T01:41:00.000Z',
    phase: 'failed',
    nodes: {
      'node-a': { status: 'verified', phase: 'done', bytesDone: 1, bytesTotal: 1, verified: 2, expected: 2 },
      'node-b': { status: 'failed', phase: 'loading', bytesDone: 0, bytesTotal: 1, verified: 0, expected: 2 },
    },
  };
}

/** The resume flags commander gives when the operator passes none: every default. */
const DEFAULT_FLAGS: ResumeFlags = {
  timeout: '30m',
  forceLoad: false,
  force: false,
  distribution: 'chain',
  stripes: '2',
  pieceSize: '4MiB',
  listen: '0.0.0.0:7480',
  helm: 'helm',
  kubectl: 'kubectl',
  insecure: false,
  output: 'text',
};

const none = (): boolean => false;
const only =
  (...given: RecordedFlag[]) =>
  (flag: RecordedFlag): boolean =>
    given.includes(flag);

describe('resumeRequest', () => {
  it('reuses every recorded parameter when no flag is given on the command line', () => {
    const request = resumeRequest(record(PARAMETERS), DEFAULT_FLAGS, none);
    assert.equal(request.timeoutMs, 90_000);
    assert.equal(request.distribution, 'tree');
    assert.equal(request.stripes, 4);
    assert.equal(request.pieceSize, 1024 * 1024);
    assert.equal(request.allowHintMismatch, true);
    assert.deepEqual(request.session, {
      listen: '10.0.0.5:9480',
      advertise: 'spark.lan:9480',
      streamListen: '10.0.0.5:9482',
      helm: '/opt/helm-3.15/helm',
      kubectl: '/opt/kube/kubectl',
      kubeconfig: '/etc/rancher/k3s/k3s.yaml',
      kubeContext: 'prod',
    });
    assert.deepEqual(request.nodes, ['node-a', 'node-b']);
    assert.equal(request.bundlePath, '/srv/kairship_0.21.0.bundle.tar');
    assert.equal(request.runDir, '/srv/airlift-runs/r20261207-014000-3f9a');
    assert.equal(request.imageRegistry, 'registry.local:5000');
    assert.equal(request.version, '0.21.0');
    assert.equal(request.resumes, 'r20261207-014000-3f9a');
    assert.equal(request.dryRun, false);
  });

  it('lets flags given on the command line override the record, and only those', () => {
    const flags: ResumeFlags = {
      ...DEFAULT_FLAGS,
      helm: '/usr/local/bin/helm',
      listen: '127.0.0.1:0',
      pieceSize: '256KiB',
      timeout: '120s',
      distribution: 'star',
      stripes: '2',
    };
    const request = resumeRequest(
      record(PARAMETERS),
      flags,
      only('helm', 'listen', 'pieceSize', 'timeout', 'distribution'),
    );
    const { session } = request;
    assert.ok(session !== undefined);
    assert.equal(session.helm, '/usr/local/bin/helm');
    assert.equal(session.listen, '127.0.0.1:0');
    assert.equal(request.pieceSize, 256 * 1024);
    assert.equal(request.timeoutMs, 120_000);
    assert.equal(request.distribution, 'star');
    // Not given: still the recorded ones, though the flag object holds a default.
    assert.equal(request.stripes, 4);
    assert.equal(session.kubectl, '/opt/kube/kubectl');
    assert.equal(session.streamListen, '10.0.0.5:9482');
  });

  it('reads a record written before parameters were stored, with the flags and their defaults', () => {
    const old = runStateSchema.parse(record());
    assert.equal(old.parameters, undefined);
    const request = resumeRequest(old, { ...DEFAULT_FLAGS, kubeContext: 'staging' }, only('kubeContext'));
    assert.equal(request.timeoutMs, 30 * 60 * 1000);
    assert.equal(request.distribution, 'chain');
    assert.equal(request.stripes, 2);
    assert.equal(request.pieceSize, 4 * 1024 * 1024);
    assert.equal(request.allowHintMismatch, false);
    assert.deepEqual(request.session, {
      listen: '0.0.0.0:7480',
      helm: 'helm',
      kubectl: 'kubectl',
      kubeContext: 'staging',
    });
  });

  it('does not reuse --force-load: a resume skips nodes that already verified everything', () => {
    assert.equal(resumeRequest(record(PARAMETERS), DEFAULT_FLAGS, none).forceLoad, false);
    const forced = resumeRequest(record(PARAMETERS), { ...DEFAULT_FLAGS, forceLoad: true }, none);
    assert.equal(forced.forceLoad, true);
  });

  it('reuses --images registry, --pre-pull and --registry-plain-http', () => {
    const request = resumeRequest(
      record({ ...PARAMETERS, images: 'registry', prePull: true, registryPlainHttp: false }),
      DEFAULT_FLAGS,
      none,
    );
    assert.deepEqual([request.images, request.prePull, request.registryPlainHttp], ['registry', true, false]);
    assert.equal(resumeRequest(record(PARAMETERS), DEFAULT_FLAGS, none).images, undefined);
  });

  it('still checks an explicit flag', () => {
    assert.throws(
      () => resumeRequest(record(PARAMETERS), { ...DEFAULT_FLAGS, pieceSize: '3MiB' }, only('pieceSize')),
      ConfigInvalidError,
    );
  });

  it('makes paths given on the command line absolute, so the run resumes from any directory', () => {
    const session = absoluteSessionPaths(
      { listen: '0.0.0.0:7480', helm: 'tools/helm', kubectl: 'kubectl', kubeconfig: 'k3s.yaml' },
      '/home/ops/site',
    );
    assert.deepEqual(session, {
      listen: '0.0.0.0:7480',
      helm: '/home/ops/site/tools/helm',
      kubectl: 'kubectl',
      kubeconfig: '/home/ops/site/k3s.yaml',
    });
    // On resume, a path given again is this directory's; a recorded one is kept as recorded.
    const request = resumeRequest(
      record(PARAMETERS),
      { ...DEFAULT_FLAGS, kubeconfig: './other.yaml', kubectl: './bin/kubectl' },
      only('kubeconfig'),
    );
    const resumed = request.session;
    assert.ok(resumed !== undefined);
    assert.equal(resumed.kubeconfig, join(process.cwd(), 'other.yaml'));
    assert.equal(resumed.kubectl, '/opt/kube/kubectl');
  });

  it('round-trips the recorded parameters through the run-state schema', () => {
    assert.deepEqual(runStateSchema.parse(record(PARAMETERS)).parameters, PARAMETERS);
  });
});
