import { ContainerdRuntime } from '../../../agent/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { runtimeContract } from './runtime-contract.js';

// The same contract as ctr imports, with go-containerregistry archives imported blob by blob through
// containerd's API (docker save and OCI layouts still go to ctr).
let daemon: ContainerdInstance | undefined;

runtimeContract(
  'containerd (API import)',
  async () => {
    daemon = await startContainerd();
    const runner = new ExecaRunner();
    return {
      runtime: new ContainerdRuntime({
        runner,
        address: daemon.address,
        namespace: 'k8s.io',
        importer: 'api',
      }),
      unreachable: new ContainerdRuntime({
        runner,
        address: `${daemon.dir}/nobody-here.sock`,
        commandTimeoutMs: 5000,
        importer: 'api',
      }),
    };
  },
  async () => {
    await daemon?.stop();
  },
);
