// `npm run demo`: the whole job of airlift on this machine, with no cluster. It starts a local fleet
// (nats-server and three `airlift agent` processes, each with a private containerd or Docker engine),
// writes a sample kairship bundle, runs `airlift upgrade` against it with recording stand-ins for
// helm and kubectl, shows `airlift status`, and stops everything it started.
import { join } from 'node:path';
import { execa } from 'execa';
import { writeSampleBundle } from '../helpers/fixtures/index.js';
import { readStandInLog, standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { AIRLIFT_BIN } from '../helpers/paths.js';
import { TEST_FLEET_INIT } from '../helpers/test-fleet.js';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function airlift(args: string[], env: Record<string, string> = {}): Promise<number> {
  say(`\n$ airlift ${args.join(' ')}`);
  const run = await execa(process.execPath, [AIRLIFT_BIN, ...args], {
    reject: false,
    stdio: 'inherit',
    timeout: 600_000,
    env,
  });
  return run.exitCode ?? 1;
}

async function main(): Promise<number> {
  say('airlift demo: a one-command offline upgrade across a local fleet of three nodes.');
  say('This machine has no Kubernetes cluster: helm and kubectl are recording stand-ins that print');
  say('what they were asked and change nothing. Everything else is real: nats-server, three agent');
  say('processes, two private containerd instances and a private Docker engine, gRPC transfers.\n');
  say('1. Creating the fleet identities with `airlift fleet init`, then starting nats-server with the');
  say('   configuration it wrote, the runtimes and three agents (node-1 containerd, node-2 docker,');
  say('   node-3 containerd), each with its own identity…');
  let fleet: LocalFleet | undefined;
  const stop = async (): Promise<void> => {
    say('\nStopping the agents, runtimes and nats-server, and removing their temp dirs…');
    await fleet?.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  try {
    fleet = await startLocalFleet(
      [
        { name: 'node-1', runtime: 'containerd' },
        { name: 'node-2', runtime: 'docker' },
        { name: 'node-3', runtime: 'containerd' },
      ],
      {
        // The fleet's identities and nats-server.conf come from the real command, as in production
        // (only the listen address, the store and the URL are this machine's).
        fleetInit: async (dir, nodes) => {
          const settings = TEST_FLEET_INIT(dir);
          const code = await airlift([
            'fleet',
            'init',
            '--dir',
            dir,
            '--nodes',
            nodes.join(','),
            '--nats-listen',
            settings.natsListen,
            '--nats-store',
            settings.natsStoreDir,
            '--nats-url',
            settings.natsUrls[0] ?? '',
          ]);
          if (code !== 0) throw new Error(`airlift fleet init exited ${code}`);
        },
      },
    );
    say(`   NATS at ${fleet.nats.url} (TLS; one nkey identity per agent and one for the coordinator,`);
    say('   each allowed only its own subjects; made by the same code as `airlift fleet init`)');
    const nats = fleet.coordinatorArgs;
    say('2. Writing a sample offline bundle laid out as charts-syncer writes it…');
    const bundle = await writeSampleBundle(fleet.dir, { layerBytes: 512 * 1024 });
    say(`   ${bundle.path}`);
    const codes: number[] = [];
    codes.push(await airlift(['status', ...nats]));
    const log = join(fleet.dir, 'helm-kubectl.log');
    const env = standInEnv(log, { AIRLIFT_STANDIN_VERBOSE: '1' });
    codes.push(
      await airlift(
        [
          'upgrade',
          bundle.path,
          '--release',
          'kairship',
          '--namespace',
          'kairship-system',
          '--version',
          '0.21.0',
          ...nats,
          '--listen',
          '127.0.0.1:0',
          '--run-dir',
          join(fleet.dir, 'run'),
        ],
        env,
      ),
    );
    say('\nWhat the stand-ins were asked to run, in order (the argv of the manual procedure):');
    for (const call of await readStandInLog(log)) say(`   ${call.tool} ${call.argv.join(' ')}`);
    codes.push(await airlift(['status', ...nats]));
    const failed = codes.filter((code) => code !== 0).length;
    say(
      failed === 0
        ? '\ndemo: every step succeeded.'
        : `\ndemo: ${failed} step(s) failed (exit codes ${codes.join(', ')}).`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    await stop();
  }
}

process.exitCode = await main();
