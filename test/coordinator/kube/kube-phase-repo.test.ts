import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  KubeTools,
  parseRepoChart,
  plan,
  runKubePhase,
  type KubePhaseOptions,
} from '../../../coordinator/kube/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { ConfigInvalidError, KubePhaseError } from '../../../shared/errors/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import {
  HELM_STAND_IN,
  KUBECTL_STAND_IN,
  readStandInLog,
  standInEnv,
  type StandInCall,
} from '../../helpers/kube-stand-ins.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const RELEASE = 'kairship';
const NS = 'kairship-system';
const REGISTRY = '10.16.10.111';
const KUBE = ['--kubeconfig', '/etc/kube/admin.conf', '--kube-context', 'prod'];

const line = (call: StandInCall): string[] => [call.tool, ...call.argv];

describe('runKubePhase --from-repo: the helm-repository procedure', () => {
  const dir = scratchDir('kube-phase-repo');
  let bundle: Bundle;
  let n = 0;

  before(async () => {
    await mkdir(join(dir(), 'bundles'), { recursive: true });
    bundle = await Bundle.open((await writeSampleBundle(join(dir(), 'bundles'), { layerBytes: 256 })).path);
  });
  after(async () => {
    await bundle.close();
  });

  function setup(
    extraEnv: Record<string, string> = {},
    repo = parseRepoChart('airlift/kairship'),
    version = '0.21.0',
  ): { options: KubePhaseOptions; log: string; runDir: string } {
    const id = ++n;
    const runDir = join(dir(), `run-${id}`);
    const log = join(dir(), `calls-${id}.jsonl`);
    const tools = new KubeTools({
      runner: new ExecaRunner(),
      helmPath: HELM_STAND_IN,
      kubectlPath: KUBECTL_STAND_IN,
      kubeconfig: '/etc/kube/admin.conf',
      kubeContext: 'prod',
      env: standInEnv(log, extraEnv),
    });
    const options: KubePhaseOptions = {
      tools,
      bundle,
      release: RELEASE,
      namespace: NS,
      imageRegistry: REGISTRY,
      runDir,
      fromRepo: repo,
      version,
    };
    return { options, log, runDir };
  }

  it('runs repo list, update, search, get values, pull, CRDs, upgrade REPO/CHART, in order', async () => {
    const { options, log, runDir } = setup();
    const summary = await runKubePhase(options);
    const pulled = join(runDir, 'pulled');
    const bak = join(runDir, 'bak.yaml');
    const helm = (...args: string[]): string[] => ['helm', ...args, ...KUBE];
    assert.deepEqual((await readStandInLog(log)).map(line), [
      helm('repo', 'list', '-o', 'json'),
      helm('repo', 'update', 'airlift'),
      helm('search', 'repo', 'airlift/kairship', '--versions', '-o', 'json'),
      helm('status', RELEASE, '-n', NS, '-o', 'json'),
      helm('get', 'values', RELEASE, '-n', NS, '-o', 'yaml'),
      helm('pull', 'airlift/kairship', '--version', '0.21.0', '--untar', '--untardir', pulled),
      [
        'kubectl',
        'apply',
        '-f',
        join(pulled, 'kairship', 'crds'),
        '--kubeconfig',
        '/etc/kube/admin.conf',
        '--context',
        'prod',
      ],
      helm(
        'upgrade',
        RELEASE,
        'airlift/kairship',
        '-n',
        NS,
        '-f',
        bak,
        '--set',
        `global.imageRegistry=${REGISTRY}`,
        '--version',
        '0.21.0',
      ),
    ]);
    assert.deepEqual(
      summary.steps.map((s) => [s.step, s.outcome]),
      [
        ['helm-repo', 'done'],
        ['backup-values', 'done'],
        ['extract-chart', 'done'],
        ['apply-crds', 'done'],
        ['helm-upgrade', 'done'],
      ],
    );
    assert.match(await readFile(join(pulled, 'kairship', 'Chart.yaml'), 'utf8'), /version: 0\.21\.0/);
    assert.deepEqual((await readdir(runDir)).sort(), ['bak.yaml', 'pulled']);
  });

  it('plan() (the dry run) lists the argv that then runs', async () => {
    const { options, log } = setup({}, parseRepoChart('airlift/kairship', 'https://charts.example.com/a'));
    const planned = plan(options).steps.flatMap((s) => s.commands.map((c) => c.slice(1)));
    await runKubePhase({ ...options, runDir: options.runDir });
    const ran = (await readStandInLog(log)).map((c) => c.argv);
    // The repository is listed, so `helm repo add` is planned but not run.
    const add = planned.findIndex((argv) => argv[0] === 'repo' && argv[1] === 'add');
    assert.deepEqual(planned[add], ['repo', 'add', 'airlift', 'https://charts.example.com/a', ...KUBE]);
    assert.deepEqual(
      ran,
      planned.filter((_, i) => i !== add),
    );
  });

  it('adds the repository with --repo-url when helm repo list lacks it', async () => {
    const repo = parseRepoChart('daocloud/kairship', 'https://charts.example.com/daocloud');
    const { options, log } = setup({ AIRLIFT_STANDIN_REPOS: 'none' }, repo);
    await runKubePhase(options);
    const calls = (await readStandInLog(log)).map((c) => c.argv.slice(0, 4).join(' '));
    assert.deepEqual(calls.slice(0, 4), [
      'repo list -o json',
      'repo add daocloud https://charts.example.com/daocloud',
      'repo update daocloud --kubeconfig',
      'search repo daocloud/kairship --versions',
    ]);
  });

  it('a repository helm lacks, without --repo-url: stops naming it, nothing else runs', async () => {
    const { options, log } = setup({}, parseRepoChart('daocloud/kairship'));
    const err = await runKubePhase(options).then(
      () => assert.fail('expected a KubePhaseError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubePhaseError);
    assert.equal(err.step, 'helm-repo');
    assert.match(err.message, /no repository daocloud \(helm repo list: airlift\)/);
    assert.match(err.message, /--repo-url/);
    assert.equal((await readStandInLog(log)).length, 1);
  });

  it('a version the repository does not list: stops listing the versions that exist', async () => {
    const { options, log } = setup({ AIRLIFT_STANDIN_REPO_VERSIONS: '0.19.0,0.20.0' });
    const err = await runKubePhase(options).then(
      () => assert.fail('expected a KubePhaseError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubePhaseError);
    assert.equal(err.step, 'helm-repo');
    assert.match(
      err.message,
      /airlift\/kairship 0\.21\.0 is not in repository airlift: versions listed: 0\.19\.0, 0\.20\.0/,
    );
    const calls = (await readStandInLog(log)).map((c) => c.argv[0]);
    assert.deepEqual(calls, ['repo', 'repo', 'search'], 'no get values, pull or upgrade');
  });

  it('resume reuses the pulled chart; a failed upgrade offers airlift rollback', async () => {
    const first = setup({ AIRLIFT_STANDIN_FAIL: 'helm-upgrade' });
    const err = await runKubePhase(first.options).then(
      () => assert.fail('expected a KubePhaseError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubePhaseError);
    assert.equal(err.step, 'helm-upgrade');
    assert.match(err.message, /airlift rollback <run id>/);
    const again = setup();
    const summary = await runKubePhase({ ...again.options, runDir: first.runDir });
    assert.equal(summary.steps.find((s) => s.step === 'extract-chart')?.outcome, 'reused');
    assert.ok(!(await readStandInLog(again.log)).some((c) => c.argv[0] === 'pull'));
  });

  it('needs no bundle (the images may come from the registry); without --from-repo a bundle is required', async () => {
    const options: KubePhaseOptions = { ...setup().options };
    delete (options as { bundle?: unknown }).bundle;
    assert.equal(options.bundle, undefined);
    const summary = await runKubePhase(options);
    assert.equal(summary.steps.at(-1)?.outcome, 'done');
    const bare = { ...options };
    delete (bare as { fromRepo?: unknown }).fromRepo;
    assert.throws(() => plan(bare), /unless --from-repo/);
  });

  it('--from-repo needs --version, and REPO/CHART must be one', () => {
    const { version, ...options } = setup().options;
    assert.equal(version, '0.21.0');
    assert.throws(() => plan(options), /--version.*required with --from-repo/);
    assert.throws(() => plan(options), ConfigInvalidError);
    for (const bad of ['kairship', 'a/b/c', '-x/y', 'a/--set'])
      assert.throws(() => parseRepoChart(bad), ConfigInvalidError, bad);
    assert.throws(() => parseRepoChart('a/b', '--insecure'), ConfigInvalidError);
  });
});
