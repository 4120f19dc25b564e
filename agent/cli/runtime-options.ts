import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import type { CommandRunner } from '../../shared/exec/index.js';
import type { RuntimeKind, RuntimeSelection } from '../runtime/index.js';

/** The runtime flags `node load` and `agent` share. */
export interface RuntimeFlags {
  runtime: RuntimeKind | 'auto';
  dockerHost?: string;
  containerdAddress?: string;
  containerdNamespace?: string;
  ctr?: string;
  snapshotter?: string;
  containerdImporter: 'ctr' | 'api';
}

/** Adds the runtime selection flags to a command. */
export function addRuntimeOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--runtime <kind>', 'container runtime')
        .choices(['auto', 'docker', 'containerd'])
        .default('auto'),
    )
    .option('--docker-host <url>', 'Docker endpoint (default unix:///var/run/docker.sock)')
    .option('--containerd-address <socket>', 'containerd socket (default /run/containerd/containerd.sock)')
    .option('--containerd-namespace <ns>', 'containerd namespace (kubelet uses k8s.io)', 'k8s.io')
    .option('--ctr <path>', 'ctr executable', 'ctr')
    .option('--snapshotter <name>', "containerd snapshotter to unpack into (default: containerd's own)")
    .addOption(
      new Option(
        '--containerd-importer <how>',
        'containerd: ctr imports whole archives (or staged parts); api streams blobs through containerd and unpacks each layer as it lands',
      )
        .choices(['ctr', 'api'])
        .default('api'),
    );
}

/** The flags as a RuntimeSelection for selectRuntime. */
export function runtimeSelectionFrom(
  flags: RuntimeFlags,
  runner: CommandRunner,
  logger: Logger,
): RuntimeSelection {
  return {
    kind: flags.runtime,
    runner,
    logger,
    ...(flags.dockerHost === undefined ? {} : { dockerHost: flags.dockerHost }),
    ...(flags.containerdAddress === undefined ? {} : { containerdAddress: flags.containerdAddress }),
    ...(flags.containerdNamespace === undefined ? {} : { containerdNamespace: flags.containerdNamespace }),
    ...(flags.ctr === undefined ? {} : { ctrPath: flags.ctr }),
    ...(flags.snapshotter === undefined ? {} : { snapshotter: flags.snapshotter }),
    containerdImporter: flags.containerdImporter,
  };
}
