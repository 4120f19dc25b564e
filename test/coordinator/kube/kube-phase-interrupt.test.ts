import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeTools, runKubePhase, type KubePhaseOptions } from '../../../coordinator/kube/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { ErrorCode, KubePhaseError } from '../../../shared/errors/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import {
  HELM_STAND_IN,
  KUBECTL_STAND_IN,
  readStandInExits,
  readStandInLog,
  standInEnv,
} from '../../helpers/kube-stand-ins.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

describe('runKubePhase interrupted (SIGINT/SIGTERM as upgrade-run passes them)', { timeout: 60_000 }, () => {
  const dir = scratchDir('kube-interrupt');
  let bundle: Bundle;
  let n = 0;
  before(async () => {
    bundle = await Bundle.open((await writeSampleBundle(dir(), { layerBytes: 256 })).path);
  });
  after(async () => {
    await bundle.close();
  });

  function setup(env: Record<string, string>): { options: KubePhaseOptions; log: string; exits: string } {
    const id = ++n;
    const log = join(dir(), `calls-${id}.jsonl`);
    const exits = join(dir(), `exits-${id}.jsonl`);
    const tools = new KubeTools({
      runner: new ExecaRunner(),
      helmPath: HELM_STAND_IN,
      kubectlPath: KUBECTL_STAND_IN,
      env: standInEnv(log, { AIRLIFT_STANDIN_EXIT_LOG: exits, ...env }),
    });
    const options: KubePhaseOptions = {
      tools,
      bundle,
      release: 'kairship',
      namespace: 'kairship-system',
      imageRegistry: '10.16.10.111',
      runDir: join(dir(), `run-${id}`),
    };
    return { options, log, exits };
  }

  it('lets a running helm upgrade finish, then ends the phase as interrupted naming the step', async () => {
    const interrupt = new AbortController();
    const { options, exits } = setup({ AIRLIFT_STANDIN_SLEEP_helm_upgrade: '1' });
    const waitedFor: (string | undefined)[] = [];
    const phase = runKubePhase({
      ...options,
      interrupt: interrupt.signal,
      onCommand: (argv) => waitedFor.push(argv?.slice(1, 2).join(' ')),
      onStep: (step, when) => {
        if (step === 'helm-upgrade' && when === 'start')
          setTimeout(() => {
            interrupt.abort(new Error('interrupted by SIGINT'));
          }, 200);
      },
    });
    const err = await expectAirliftRejection(phase, KubePhaseError, ErrorCode.KubePhaseFailed, [
      'interrupted by SIGINT during step helm-upgrade',
      'let finish and it succeeded',
      'no further step was started',
    ]);
    assert.equal(err.step, 'helm-upgrade');
    const upgrade = (await readStandInExits(exits)).find((e) => e.argv[0] === 'upgrade');
    assert.equal(upgrade?.status, 0, 'helm upgrade ran to its end');
    assert.deepEqual(waitedFor.slice(-2), ['upgrade', undefined]);
  });

  it('starts no further step once interrupted: a signal during kubectl apply keeps helm upgrade from running', async () => {
    const interrupt = new AbortController();
    const { options, log, exits } = setup({ AIRLIFT_STANDIN_SLEEP_kubectl_apply: '1' });
    const phase = runKubePhase({
      ...options,
      interrupt: interrupt.signal,
      onStep: (step, when) => {
        if (step === 'apply-crds' && when === 'start')
          setTimeout(() => {
            interrupt.abort(new Error('interrupted by SIGTERM'));
          }, 200);
      },
    });
    const err = await expectAirliftRejection(phase, KubePhaseError, ErrorCode.KubePhaseFailed, [
      'interrupted by SIGTERM during step apply-crds',
    ]);
    assert.equal(err.step, 'apply-crds');
    assert.match(err.message, /bak\.yaml is kept/);
    const calls = await readStandInLog(log);
    assert.equal(calls.filter((c) => c.argv[0] === 'upgrade').length, 0, 'helm upgrade never started');
    const apply = (await readStandInExits(exits)).find((e) => e.argv[0] === 'apply');
    assert.equal(apply?.status, 0, 'kubectl apply ran to its end');
    assert.ok((await readFile(join(options.runDir, 'bak.yaml'), 'utf8')).includes('imageRegistry'));
  });

  it('runs helm and kubectl outside airlift`s process group, so a Ctrl-C to the terminal misses them', async () => {
    const runner = new ExecaRunner();
    const own = await runner.run('sh', ['-c', 'ps -o pgid= -p $$'], { ownProcessGroup: true });
    const shared = await runner.run('sh', ['-c', 'ps -o pgid= -p $$']);
    const ours = (await runner.run('ps', ['-o', 'pgid=', '-p', String(process.pid)])).stdout.trim();
    assert.equal(shared.stdout.trim(), ours);
    assert.notEqual(own.stdout.trim(), ours);
  });
});
