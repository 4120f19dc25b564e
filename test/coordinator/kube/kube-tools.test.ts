import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KubeTools, type KubeToolsOptions } from '../../../coordinator/kube/index.js';
import {
  CommandFailedError,
  CommandNotFoundError,
  ConfigInvalidError,
  ErrorCode,
  ReleaseNotFoundError,
} from '../../../shared/errors/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { expectAirliftRejection, thrownBy } from '../../helpers/airlift-error-assertions.js';
import { HELM_STAND_IN, KUBECTL_STAND_IN, readStandInLog, standInEnv } from '../../helpers/kube-stand-ins.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

describe('KubeTools with the helm and kubectl stand-ins', () => {
  const dir = scratchDir('kube-tools');
  let n = 0;

  /** Tools on the stand-ins, with a log file of their own. */
  function toolsWith(
    extraEnv: Record<string, string> = {},
    options: Partial<KubeToolsOptions> = {},
  ): { tools: KubeTools; log: string } {
    const log = join(dir(), `calls-${++n}.jsonl`);
    const tools = new KubeTools({
      runner: new ExecaRunner(),
      helmPath: HELM_STAND_IN,
      kubectlPath: KUBECTL_STAND_IN,
      env: standInEnv(log, extraEnv),
      ...options,
    });
    return { tools, log };
  }

  it('versions(): helm version --short and kubectl version --client -o json', async () => {
    const { tools, log } = toolsWith();
    const versions = await tools.versions();
    assert.equal(versions.helm, 'v3.14.0+stand-in');
    assert.equal(versions.kubectl, 'v1.29.0-stand-in');
    assert.deepEqual(
      versions.runs.map((r) => r.argv),
      [
        [HELM_STAND_IN, 'version', '--short'],
        [KUBECTL_STAND_IN, 'version', '--client', '-o', 'json'],
      ],
    );
    assert.deepEqual(
      (await readStandInLog(log)).map((c) => [c.tool, ...c.argv]),
      [
        ['helm', 'version', '--short'],
        ['kubectl', 'version', '--client', '-o', 'json'],
      ],
    );
  });

  it('finds helm and kubectl by name on the PATH it is given, never /usr/bin/kubectl', async () => {
    const { tools, log } = toolsWith({}, { helmPath: 'helm', kubectlPath: 'kubectl' });
    const versions = await tools.versions();
    assert.equal(versions.kubectl, 'v1.29.0-stand-in');
    assert.deepEqual(
      (await readStandInLog(log)).map((c) => c.argv0),
      [HELM_STAND_IN, KUBECTL_STAND_IN],
    );
  });

  it('a missing helm binary is a CommandNotFoundError naming it', async () => {
    const missing = join(dir(), 'no-such-helm');
    const { tools } = toolsWith({}, { helmPath: missing });
    const err = await expectAirliftRejection(
      tools.versions(),
      CommandNotFoundError,
      ErrorCode.CommandNotFound,
      [missing, 'install it or put it on PATH'],
    );
    assert.equal(err.context.command, missing);
  });

  it('a missing kubectl binary is a CommandNotFoundError naming it', async () => {
    const { tools } = toolsWith({}, { kubectlPath: 'airlift-test-no-such-kubectl' });
    await expectAirliftRejection(tools.versions(), CommandNotFoundError, ErrorCode.CommandNotFound, [
      'airlift-test-no-such-kubectl',
    ]);
  });

  it('releaseStatus(): parses helm status -o json', async () => {
    const { tools, log } = toolsWith({ AIRLIFT_STANDIN_CHART_VERSION: '0.20.3' });
    const status = await tools.releaseStatus('kairship', 'kairship-system');
    assert.deepEqual(status.argv, [
      HELM_STAND_IN,
      'status',
      'kairship',
      '-n',
      'kairship-system',
      '-o',
      'json',
    ]);
    assert.deepEqual(status.release, {
      name: 'kairship',
      namespace: 'kairship-system',
      revision: 1,
      status: 'deployed',
      chartName: 'kairship',
      chartVersion: '0.20.3',
      appVersion: '0.20.3',
    });
    assert.equal((await readStandInLog(log)).length, 1);
  });

  it('a missing release is a ReleaseNotFoundError that says to check helm list', async () => {
    const { tools } = toolsWith({ AIRLIFT_STANDIN_FAIL: 'helm-status' });
    const err = await expectAirliftRejection(
      tools.releaseStatus('kairship', 'kairship-system'),
      ReleaseNotFoundError,
      ErrorCode.ReleaseNotFound,
      ['kairship', 'kairship-system', '`helm list -n kairship-system`'],
    );
    assert.equal(err.release, 'kairship');
    assert.equal(err.namespace, 'kairship-system');
    assert.ok(err.cause instanceof CommandFailedError);
    assert.match(err.cause.stderr, /Error: release: not found/);
  });

  it('other helm failures keep their exit code and stderr', async () => {
    const { tools } = toolsWith({ AIRLIFT_STANDIN_FAIL: 'helm-get-values', AIRLIFT_STANDIN_EXIT_CODE: '3' });
    const err = await expectAirliftRejection(
      tools.getValues('kairship', 'kairship-system'),
      CommandFailedError,
      ErrorCode.CommandFailed,
      ['get values', 'exit code 3', 'Kubernetes cluster unreachable'],
    );
    assert.equal(err.exitCode, 3);
  });

  it('getValues(): helm get values -o yaml, the YAML on stdout', async () => {
    const { tools } = toolsWith();
    const run = await tools.getValues('kairship', 'kairship-system');
    assert.deepEqual(run.argv, [
      HELM_STAND_IN,
      'get',
      'values',
      'kairship',
      '-n',
      'kairship-system',
      '-o',
      'yaml',
    ]);
    assert.equal(run.stdout, 'global:\n  imageRegistry: 10.16.10.111');
  });

  it('upgrade(): --version only when given', () => {
    const { tools } = toolsWith();
    const request = {
      release: 'kairship',
      chartDir: '/run dir/chart',
      namespace: 'kairship-system',
      valuesFile: '/run dir/bak.yaml',
      imageRegistry: '10.16.10.111:5000',
    };
    assert.deepEqual(tools.upgradeCommand(request), [
      HELM_STAND_IN,
      'upgrade',
      'kairship',
      '/run dir/chart',
      '-n',
      'kairship-system',
      '-f',
      '/run dir/bak.yaml',
      '--set',
      'global.imageRegistry=10.16.10.111:5000',
    ]);
    assert.deepEqual(tools.upgradeCommand({ ...request, version: '0.21.0' }).slice(-2), [
      '--version',
      '0.21.0',
    ]);
  });

  it('cluster flags only when set: --kubeconfig/--kube-context for helm, --kubeconfig/--context for kubectl', async () => {
    const plain = toolsWith().tools;
    assert.deepEqual(plain.statusCommand('r', 'ns'), [
      HELM_STAND_IN,
      'status',
      'r',
      '-n',
      'ns',
      '-o',
      'json',
    ]);
    assert.deepEqual(plain.applyCrdsCommand('/c'), [KUBECTL_STAND_IN, 'apply', '-f', '/c']);

    const onlyConfig = toolsWith({}, { kubeconfig: '/etc/k 1.conf' }).tools;
    assert.deepEqual(onlyConfig.statusCommand('r', 'ns').slice(-2), ['--kubeconfig', '/etc/k 1.conf']);
    assert.ok(!onlyConfig.statusCommand('r', 'ns').includes('--kube-context'));
    assert.deepEqual(onlyConfig.applyCrdsCommand('/c').slice(-2), ['--kubeconfig', '/etc/k 1.conf']);

    const { tools, log } = toolsWith({}, { kubeconfig: '/etc/k.conf', kubeContext: 'spark' });
    await tools.releaseStatus('r', 'ns');
    await tools.applyCrds(dir());
    const calls = await readStandInLog(log);
    assert.deepEqual(calls[0]?.argv, [
      'status',
      'r',
      '-n',
      'ns',
      '-o',
      'json',
      '--kubeconfig',
      '/etc/k.conf',
      '--kube-context',
      'spark',
    ]);
    assert.deepEqual(calls[1]?.argv, [
      'apply',
      '-f',
      dir(),
      '--kubeconfig',
      '/etc/k.conf',
      '--context',
      'spark',
    ]);
  });

  it('refuses names helm would misread before running anything', async () => {
    const { tools, log } = toolsWith();
    for (const bad of ['--kubeconfig=/tmp/x', 'Kairship', '', 'a'.repeat(54)]) {
      assert.ok(thrownBy(() => tools.statusCommand(bad, 'ns')) instanceof ConfigInvalidError, bad);
    }
    assert.ok(thrownBy(() => tools.getValuesCommand('r', '-n')) instanceof ConfigInvalidError);
    const request = { release: 'r', chartDir: '/c', namespace: 'ns', valuesFile: '/v' };
    for (const registry of ['a,b', 'reg istry', '-x', '']) {
      assert.ok(
        thrownBy(() => tools.upgradeCommand({ ...request, imageRegistry: registry })) instanceof
          ConfigInvalidError,
      );
    }
    assert.ok(
      thrownBy(() => tools.upgradeCommand({ ...request, imageRegistry: 'r', version: '--devel' })) instanceof
        ConfigInvalidError,
    );
    await expectAirliftRejection(
      tools.releaseStatus('-r', 'ns'),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      ['--release'],
    );
    assert.deepEqual(await readStandInLog(log), []);
  });

  it('stand-in stderr chatter only with AIRLIFT_STANDIN_VERBOSE=1', async () => {
    const quiet = await toolsWith().tools.versions();
    assert.equal(quiet.runs[0]?.stderr, '');
    const loud = await toolsWith({ AIRLIFT_STANDIN_VERBOSE: '1' }).tools.versions();
    assert.equal(loud.runs[0]?.stderr, 'stand-in: no cluster here');
  });
});
