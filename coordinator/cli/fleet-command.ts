import { Command, Option } from 'commander';
import {
  ExitCode,
  outputOption,
  printStructured,
  runCommand,
  type CliOutput,
  type OutputFormat,
} from '../../shared/cli/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import {
  addNode,
  DEFAULT_FLEET_DIR,
  DEFAULT_NATS_LISTEN,
  DEFAULT_NATS_STORE_DIR,
  initFleet,
  removeNode,
  showFleet,
  type FleetWriteResult,
  type Roster,
} from '../fleet-setup/index.js';

interface InitFlags {
  dir: string;
  nodes: string;
  natsUrl: string[];
  natsListen: string;
  natsStore: string;
  natsHost: string[];
  force: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const dirOption = (): Option =>
  new Option('--dir <dir>', 'the fleet dir (keep it on the coordinator host, mode 0700)').default(
    DEFAULT_FLEET_DIR,
  );

/** `airlift fleet …`: make and change the fleet's identities, CA and nats-server config. */
export function fleetCommand(output: CliOutput, setExit: (code: number) => void): Command {
  const run = (body: () => Promise<number>): Promise<void> => runCommand(output, body).then(setExit);
  const fleet = new Command('fleet').description(
    'create and change the fleet: CA, identities, nats-server config',
  );

  fleet.addCommand(
    new Command('init')
      .description('generate a new fleet: CA, coordinator and node identities, nats-server.conf, fleet.json')
      .addOption(dirOption())
      .requiredOption('--nodes <names>', 'node names, comma-separated (as each agent runs with --node)')
      .option(
        '--nats-url <url>',
        'URL agents and the coordinator dial (repeatable; default tls://<this host>:<port>)',
        collect,
        [],
      )
      .option('--nats-listen <host:port>', 'where nats-server listens', DEFAULT_NATS_LISTEN)
      .option('--nats-store <dir>', 'JetStream store dir of nats-server', DEFAULT_NATS_STORE_DIR)
      .option(
        '--nats-host <host>',
        'extra host name or address for the NATS server certificate (repeatable)',
        collect,
        [],
      )
      .option('--force', 'replace an existing fleet in --dir (every key changes)', false)
      .addHelpText(
        'after',
        '\nExamples:\n  $ airlift fleet init --nodes node-1,node-2,node-3\n  $ airlift fleet init --nodes node-1,node-2 --nats-url tls://10.0.0.5:4222 --dir /etc/airlift/fleet\n',
      )
      .action((flags: InitFlags) =>
        run(async () => {
          const nodes = flags.nodes
            .split(',')
            .map((n) => n.trim())
            .filter((n) => n !== '');
          if (nodes.length === 0)
            throw new ConfigInvalidError('command line', '--nodes', 'name at least one node');
          const result = await initFleet({
            dir: flags.dir,
            nodes,
            natsUrls: flags.natsUrl,
            natsListen: flags.natsListen,
            natsStoreDir: flags.natsStore,
            natsHosts: flags.natsHost,
            force: flags.force,
          });
          printWritten(output, result);
          printNextSteps(output, result, result.nodes);
          return ExitCode.Ok;
        }),
      ),
  );

  fleet.addCommand(
    new Command('add-node')
      .description('issue an identity for one more node and add it to coordinator.json and nats-server.conf')
      .argument('<name>', 'the node name')
      .addOption(dirOption())
      .addHelpText('after', '\nExamples:\n  $ airlift fleet add-node node-4\n')
      .action((name: string, flags: { dir: string }) =>
        run(async () => {
          const result = await addNode(flags.dir, name);
          printWritten(output, result);
          printNextSteps(output, result, [name]);
          return ExitCode.Ok;
        }),
      ),
  );

  fleet.addCommand(
    new Command('remove-node')
      .description('drop a node: its identity file, its NATS user and the coordinator’s trust in it')
      .argument('<name>', 'the node name')
      .addOption(dirOption())
      .addHelpText('after', '\nExamples:\n  $ airlift fleet remove-node node-4\n')
      .action((name: string, flags: { dir: string }) =>
        run(async () => {
          const result = await removeNode(flags.dir, name);
          printWritten(output, result);
          output.out('');
          output.out('next:');
          output.out(`  reload nats-server so ${name} can no longer connect: nats-server --signal reload`);
          output.out(`  stop the agent on ${name} and delete /etc/airlift/agent.json there`);
          return ExitCode.Ok;
        }),
      ),
  );

  fleet.addCommand(
    new Command('show')
      .description('print the fleet roster: names, NATS settings and public keys (no secrets)')
      .addOption(dirOption())
      .addOption(outputOption())
      .addHelpText(
        'after',
        '\nExamples:\n  $ airlift fleet show\n  $ airlift fleet show --dir /etc/airlift/fleet -o yaml\n',
      )
      .action((flags: { dir: string; output: OutputFormat }) =>
        run(async () => {
          const roster = await showFleet(flags.dir);
          if (flags.output === 'table') printRoster(output, roster);
          else printStructured(output, flags.output, roster);
          return ExitCode.Ok;
        }),
      ),
  );
  return fleet;
}

function printWritten(output: CliOutput, result: FleetWriteResult): void {
  output.out(`fleet ${result.fleet} in ${result.paths.dir}`);
  for (const path of result.written) output.out(`  wrote   ${path}`);
  for (const path of result.removed) output.out(`  removed ${path}`);
}

function printNextSteps(output: CliOutput, result: FleetWriteResult, nodes: readonly string[]): void {
  const { paths } = result;
  output.out('');
  output.out('next:');
  for (const node of nodes) {
    output.out(`  copy ${paths.node(node)} to node ${node} as /etc/airlift/agent.json (mode 0600, root)`);
  }
  output.out(`  start nats-server -c ${paths.natsConf}   (already running: nats-server --signal reload)`);
  output.out(`  run the coordinator with --identity ${paths.coordinator}`);
  output.out(`  keep ${paths.caKey} on this host only: it signs every identity of the fleet`);
}

function printRoster(output: CliOutput, roster: Roster): void {
  output.out(`fleet       ${roster.fleet} (created ${roster.createdAt})`);
  output.out(`nats urls   ${roster.nats.urls.join(', ')}`);
  output.out(`nats listen ${roster.nats.listen}, JetStream store ${roster.nats.storeDir}`);
  output.out(`server cert ${roster.nats.hosts.join(', ')}`);
  output.out(`coordinator ${roster.coordinator.nkey}`);
  const names = Object.keys(roster.nodes).sort();
  output.out(`nodes       ${names.length}`);
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const name of names) output.out(`  ${name.padEnd(width)}  ${roster.nodes[name]?.nkey ?? ''}`);
}
