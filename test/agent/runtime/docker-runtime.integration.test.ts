import { DockerRuntime } from '../../../agent/index.js';
import { startDockerd, type DockerdInstance } from '../../helpers/dockerd-instance.js';
import { runtimeContract } from './runtime-contract.js';

let daemon: DockerdInstance | undefined;

runtimeContract(
  'docker',
  async () => {
    daemon = await startDockerd();
    return {
      runtime: new DockerRuntime({ host: daemon.host }),
      unreachable: new DockerRuntime({ host: `unix://${daemon.dir}/nobody-here.sock` }),
    };
  },
  async () => {
    await daemon?.stop();
  },
);
