import { Command } from 'commander';
import type { Logger } from 'pino';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  addTrustOptions,
  ExitCode,
  resolveTrust,
  runCommand,
  type CliOutput,
  type TrustFlags,
} from '../../shared/cli/index.js';
import { FleetRegistry } from '../fleet/index.js';

type ForgetFlags = TrustFlags & { force?: boolean };

/** `airlift node forget NAME`: drops a gone node's entry from the fleet registry. */
export function nodeForgetCommand(
  output: CliOutput,
  logger: Logger,
  setExit: (code: number) => void,
): Command {
  const command = new Command('forget')
    .description('remove a gone node from the fleet registry so status and `--nodes all` stop counting it')
    .argument('<name>', 'the node to forget')
    .option('--force', 'forget it even though it is healthy (a running agent re-announces itself)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ airlift node forget node-7\n  $ airlift node forget node-7 --force\n',
    );
  addTrustOptions(command, 'coordinator');
  return addNatsOptions(command).action(async (name: string, flags: ForgetFlags) => {
    setExit(await runCommand(output, () => forgetNode(name, flags, output, logger)));
  });
}

async function forgetNode(
  name: string,
  flags: ForgetFlags,
  output: CliOutput,
  logger: Logger,
): Promise<number> {
  const setup = await resolveTrust(flags, 'coordinator', 'airlift-node-forget', output);
  const bus = await connectBus({ ...setup.nats, name: 'airlift-node-forget' }, logger);
  try {
    const registry = await FleetRegistry.open(bus, setup.trust.policy, undefined, logger);
    const row = await registry.get(name);
    // A healthy node is most likely a typo or still in service: forgetting it would hide a live agent.
    if (row?.health === 'healthy' && flags.force !== true) {
      output.err(
        `airlift: node ${name} is healthy (its agent runs): stop its agent first, or pass --force to forget it anyway`,
      );
      return ExitCode.Usage;
    }
    if (!(await registry.forget(name))) {
      output.err(
        `airlift: the fleet registry has no entry for ${name}: \`airlift status\` lists the known nodes`,
      );
      return ExitCode.Usage;
    }
    output.out(`forgot node ${name}${row === undefined ? '' : ` (it was ${row.health})`}`);
    return ExitCode.Ok;
  } finally {
    await bus.drain();
  }
}
