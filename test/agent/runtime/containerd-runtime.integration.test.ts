import { ContainerdRuntime } from '../../../agent/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { runtimeContract } from './runtime-contract.js';

let daemon: ContainerdInstance | undefined;

runtimeContract(
  'containerd',
  async () => {
    daemon = await startContainerd();
    const runner = new ExecaRunner();
    return {
      runtime: new ContainerdRuntime({ runner, address: daemon.address, namespace: 'k8s.io' }),
      unreachable: new ContainerdRuntime({
        runner,
        address: `${daemon.dir}/nobody-here.sock`,
        commandTimeoutMs: 5000,
      }),
    };
  },
  async () => {
    await daemon?.stop();
  },
);
