import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  KubeTools,
  plan,
  runKubePhase,
  type KubePhaseOptions,
  type KubeToolsOptions,
} from '../../../coordinator/kube/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import {
  CommandFailedError,
  CommandNotFoundError,
  CommandTimedOutError,
  ErrorCode,
  KubePhaseError,
  ReleaseNotFoundError,
  type KubePhaseStep,
} from '../../../shared/errors/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import {
  HELM_STAND_IN,
  KUBECTL_STAND_IN,
  readStandInLog,
  STAND_IN_DEFAULT_VALUES,
  standInEnv,
  type StandInCall,
} from '../../helpers/kube-stand-ins.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const RELEASE = 'kairship';
const NS = 'kairship-system';
const REGISTRY = '10.16.10.111';

/** A call as `tool argv…`, to compare with the manual procedure. */
const line = (call: StandInCall): string[] => [call.tool, ...call.argv];

describe('runKubePhase with the stand-ins and the sample bundle', () => {
  const dir = scratchDir('kube-phase');
  let bundle: Bundle;
  let noCrds: Bundle;
  let n = 0;

  before(async () => {
    await mkdir(join(dir(), 'bundles', 'plain'), { recursive: true });
    bundle = await Bundle.open((await writeSampleBundle(join(dir(), 'bundles'), { layerBytes: 256 })).path);
    const sample = await writeSampleBundle(join(dir(), 'bundles', 'plain'), {
      layerBytes: 256,
      mutate: (spec) => ({
        ...spec,
        chartFiles: Object.fromEntries(
          Object.entries(spec.chartFiles).filter(([path]) => !path.startsWith('crds/')),
        ),
      }),
    });
    noCrds = await Bundle.open(sample.path);
  });
  after(async () => {
    await bundle.close();
    await noCrds.close();
  });

  /** A fresh run directory (with a space, as operators' paths may have) and phase options on the stand-ins. */
  function setup(
    extraEnv: Record<string, string> = {},
    toolOptions: Partial<KubeToolsOptions> = {},
  ): { options: KubePhaseOptions; log: string; runDir: string; events: string[] } {
    const id = ++n;
    const runDir = join(dir(), `run ${id}`);
    const log = join(dir(), `calls-${id}.jsonl`);
    const tools = new KubeTools({
      runner: new ExecaRunner(),
      helmPath: HELM_STAND_IN,
      kubectlPath: KUBECTL_STAND_IN,
      env: standInEnv(log, extraEnv),
      ...toolOptions,
    });
    const events: string[] = [];
    const options: KubePhaseOptions = {
      tools,
      bundle,
      release: RELEASE,
      namespace: NS,
      imageRegistry: REGISTRY,
      runDir,
      onStep: (step, phase) => events.push(`${step}:${phase}`),
    };
    return { options, log, runDir, events };
  }

  it('runs exactly the manual procedure, in order', async () => {
    const { options, log, runDir, events } = setup();
    const summary = await runKubePhase(options);
    const chart = join(runDir, 'chart');
    const bak = join(runDir, 'bak.yaml');
    assert.deepEqual((await readStandInLog(log)).map(line), [
      ['helm', 'status', RELEASE, '-n', NS, '-o', 'json'],
      ['helm', 'get', 'values', RELEASE, '-n', NS, '-o', 'yaml'],
      ['kubectl', 'apply', '-f', join(chart, 'crds')],
      ['helm', 'upgrade', RELEASE, chart, '-n', NS, '-f', bak, '--set', `global.imageRegistry=${REGISTRY}`],
    ]);
    assert.deepEqual(
      summary.steps.map((s) => [s.step, s.outcome, s.commands.length]),
      [
        ['backup-values', 'done', 2],
        ['extract-chart', 'done', 0],
        ['apply-crds', 'done', 1],
        ['helm-upgrade', 'done', 1],
      ],
    );
    assert.deepEqual(events, [
      'backup-values:start',
      'backup-values:done',
      'extract-chart:start',
      'extract-chart:done',
      'apply-crds:start',
      'apply-crds:done',
      'helm-upgrade:start',
      'helm-upgrade:done',
    ]);
    assert.equal(summary.before.chartVersion, '0.20.0');
    assert.equal(summary.steps[3]?.detail, `Release "${RELEASE}" has been upgraded. Happy Helming!`);

    assert.equal(await readFile(bak, 'utf8'), STAND_IN_DEFAULT_VALUES);
    assert.equal((await stat(bak)).mode & 0o777, 0o600, 'values can hold passwords');
    for (const path of [
      'Chart.yaml',
      'values.yaml',
      'crds/kairship.io_clusters.yaml',
      'charts/redis/Chart.yaml',
    ]) {
      assert.deepEqual(await readFile(join(chart, path)), await bundle.readChartFile(path), path);
    }
    assert.deepEqual((await readdir(runDir)).sort(), ['bak.yaml', 'chart'], 'no temp files left behind');
  });

  it('bak.yaml holds exactly what helm get values printed', async () => {
    const values = join(dir(), 'values.yaml');
    const text =
      'global:\n  imageRegistry: "10.16.10.111:5000"\nredis:\n  auth:\n    password: "it\'s a \\"secret\\""\n';
    await writeFile(values, text);
    const { options, runDir } = setup({ AIRLIFT_STANDIN_VALUES_FILE: values });
    const summary = await runKubePhase(options);
    assert.equal(await readFile(join(runDir, 'bak.yaml'), 'utf8'), text);
    assert.match(summary.steps[0]?.detail ?? '', /global\.imageRegistry was 10\.16\.10\.111:5000/);
  });

  it('adds --version only when given', async () => {
    const { options, log } = setup();
    await runKubePhase({ ...options, version: '0.21.0' });
    const upgrade = (await readStandInLog(log)).at(-1)!;
    assert.deepEqual(upgrade.argv.slice(-2), ['--version', '0.21.0']);
  });

  it('plan() gives the argv that then runs, cluster flags included', async () => {
    const { options, log } = setup({}, { kubeconfig: '/etc/kube/admin.conf', kubeContext: 'spark' });
    const target = { ...options, version: '0.21.0' };
    const planned = plan(target).steps.flatMap((s) => s.commands);
    await runKubePhase(target);
    const ran = await readStandInLog(log);
    assert.deepEqual(
      ran.map((c) => [c.argv0, ...c.argv]),
      planned.map((argv) => [...argv]),
    );
    assert.deepEqual(ran[3]?.argv.slice(-6), [
      '--version',
      '0.21.0',
      '--kubeconfig',
      '/etc/kube/admin.conf',
      '--kube-context',
      'spark',
    ]);
    assert.deepEqual(ran[2]?.argv.slice(-4), ['--kubeconfig', '/etc/kube/admin.conf', '--context', 'spark']);
    assert.equal(
      plan({ ...target, bundle: noCrds }).steps.find((s) => s.step === 'apply-crds')?.commands.length,
      0,
    );
  });

  it('skips kubectl apply when the chart has no CRDs', async () => {
    const { options, log } = setup();
    const summary = await runKubePhase({ ...options, bundle: noCrds });
    assert.deepEqual(
      (await readStandInLog(log)).map((c) => `${c.tool} ${c.argv[0] ?? ''}`),
      ['helm status', 'helm get', 'helm upgrade'],
    );
    assert.equal(summary.steps.find((s) => s.step === 'apply-crds')?.outcome, 'skipped');
  });

  /** Runs the phase expecting it to stop at `step`. */
  async function expectStop(
    options: KubePhaseOptions,
    step: KubePhaseStep,
    fragments: string[],
  ): Promise<KubePhaseError> {
    const err = await expectAirliftRejection(
      runKubePhase(options),
      KubePhaseError,
      ErrorCode.KubePhaseFailed,
      [`step ${step}`, ...fragments],
    );
    assert.equal(err.step, step);
    return err;
  }

  it('a failing helm upgrade: step helm-upgrade, its argv, exit code and stderr, bak.yaml kept', async () => {
    const { options, runDir } = setup({ AIRLIFT_STANDIN_FAIL: 'helm-upgrade' });
    const bak = join(runDir, 'bak.yaml');
    const err = await expectStop(options, 'helm-upgrade', [
      'UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
      `bak.yaml is kept at ${bak}`,
      '`airlift resume',
      `helm history ${RELEASE} -n ${NS}`,
    ]);
    assert.equal(err.exitCode, 1);
    assert.match(err.stderr, /^Error: UPGRADE FAILED/);
    assert.deepEqual(err.argv?.slice(0, 3), [HELM_STAND_IN, 'upgrade', RELEASE]);
    assert.ok(err.cause instanceof CommandFailedError);
    assert.equal(await readFile(bak, 'utf8'), STAND_IN_DEFAULT_VALUES);
  });

  it('a failing kubectl apply: step apply-crds, and helm upgrade never runs', async () => {
    const { options, log } = setup({ AIRLIFT_STANDIN_FAIL: 'kubectl-apply' });
    const err = await expectStop(options, 'apply-crds', ['was refused', 'the release was not upgraded']);
    assert.deepEqual(err.argv?.slice(1), ['apply', '-f', join(options.runDir, 'chart', 'crds')]);
    const calls = await readStandInLog(log);
    assert.equal(calls.length, 3);
    assert.ok(!calls.some((c) => c.argv[0] === 'upgrade'));
  });

  it('a missing release stops before anything is written or applied', async () => {
    const { options, log, runDir } = setup({ AIRLIFT_STANDIN_FAIL: 'helm-status' });
    const err = await expectStop(options, 'backup-values', [
      `\`helm list -n ${NS}\``,
      'nothing in the cluster was changed',
    ]);
    assert.ok(err.cause instanceof ReleaseNotFoundError);
    assert.deepEqual(err.argv?.slice(1, 2), ['status']);
    assert.deepEqual(
      (await readStandInLog(log)).map((c) => c.argv[0]),
      ['status'],
    );
    assert.deepEqual(await readdir(runDir), []);
  });

  it('a missing helm binary: CommandNotFoundError as the cause, nothing ran', async () => {
    const { options, log } = setup({}, { helmPath: join(dir(), 'no-helm-here') });
    const err = await expectStop(options, 'backup-values', ['no-helm-here was not found']);
    assert.ok(err.cause instanceof CommandNotFoundError);
    assert.deepEqual(await readStandInLog(log), []);
  });

  it('a release with an operation in flight stops before CRDs are touched', async () => {
    const { options, log } = setup({ AIRLIFT_STANDIN_RELEASE_STATUS: 'pending-upgrade' });
    await expectStop(options, 'backup-values', ['is pending-upgrade', `helm rollback ${RELEASE} -n ${NS}`]);
    assert.equal((await readStandInLog(log)).length, 1);
  });

  it('resume after a failed upgrade keeps the first bak.yaml and the extracted chart', async () => {
    const first = setup({ AIRLIFT_STANDIN_FAIL: 'helm-upgrade' });
    await expectStop(first.options, 'helm-upgrade', []);
    const bak = join(first.runDir, 'bak.yaml');
    const original = await readFile(bak, 'utf8');

    // The failed upgrade changed the release's values; the resumed run must not back those up.
    const changed = join(dir(), 'changed-values.yaml');
    await writeFile(changed, 'global:\n  imageRegistry: changed.example\n');
    const log = join(dir(), 'resume-calls.jsonl');
    const tools = new KubeTools({
      runner: new ExecaRunner(),
      helmPath: HELM_STAND_IN,
      kubectlPath: KUBECTL_STAND_IN,
      env: standInEnv(log, { AIRLIFT_STANDIN_VALUES_FILE: changed }),
    });
    const events: string[] = [];
    const summary = await runKubePhase({
      ...first.options,
      tools,
      onStep: (step, phase, detail) => events.push(`${step}:${phase}:${detail}`),
    });
    assert.equal(await readFile(bak, 'utf8'), original);
    assert.deepEqual(
      summary.steps.map((s) => s.outcome),
      ['reused', 'reused', 'done', 'done'],
    );
    assert.ok(
      events.some((e) => e.startsWith('backup-values:done:') && e.includes('earlier attempt is kept')),
    );
    assert.deepEqual(
      (await readStandInLog(log)).map((c) => `${c.tool} ${c.argv[0] ?? ''}`),
      ['helm status', 'kubectl apply', 'helm upgrade'],
    );
  });

  it('an earlier chart/ that differs from the bundle is not reused', async () => {
    const { options, runDir } = setup();
    await mkdir(join(runDir, 'chart'), { recursive: true });
    await writeFile(join(runDir, 'chart', 'Chart.yaml'), 'name: something-else\n');
    await expectStop(options, 'extract-chart', ['Chart.yaml differs from the bundle', 'bak.yaml is kept at']);
    assert.equal(await readFile(join(runDir, 'chart', 'Chart.yaml'), 'utf8'), 'name: something-else\n');
  });

  it('a helm upgrade that outlives its timeout is stopped, with rollback advice', async () => {
    const { options } = setup({ AIRLIFT_STANDIN_HANG: 'helm-upgrade' }, { upgradeTimeoutMs: 300 });
    const err = await expectStop(options, 'helm-upgrade', [
      'did not finish within 300 ms',
      'pending-upgrade',
    ]);
    assert.ok(err.cause instanceof CommandTimedOutError);
  });

  it('an abort during helm upgrade stops the phase there', async () => {
    const controller = new AbortController();
    const { options } = setup({ AIRLIFT_STANDIN_HANG: 'helm-upgrade' });
    const started = runKubePhase({
      ...options,
      signal: controller.signal,
      onStep: (step, phase) => {
        if (step === 'helm-upgrade' && phase === 'start')
          setTimeout(() => {
            controller.abort();
          }, 100);
      },
    });
    await expectAirliftRejection(started, KubePhaseError, ErrorCode.KubePhaseFailed, [
      'helm-upgrade',
      'aborted',
    ]);
  });

  it('the argv in messages is copy-pasteable even with spaces in the run directory', async () => {
    const { options, runDir } = setup({ AIRLIFT_STANDIN_FAIL: 'helm-upgrade' });
    assert.ok(basename(runDir).includes(' '));
    let startDetail = '';
    await assert.rejects(
      runKubePhase({
        ...options,
        onStep: (step, phase, detail) => {
          if (step === 'helm-upgrade' && phase === 'start') startDetail = detail;
        },
      }),
    );
    assert.ok(startDetail.includes(`'${join(runDir, 'chart')}'`), startDetail);
  });
});
