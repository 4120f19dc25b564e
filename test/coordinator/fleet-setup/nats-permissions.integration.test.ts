import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Kvm, type KV } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import {
  connect,
  nkeyAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { addNode, removeNode } from '../../../coordinator/fleet-setup/index.js';
import { Buckets, Subjects } from '../../../shared/control/subjects.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { makeTestFleet, type TestFleet } from '../../helpers/test-fleet.js';
import {
  assertPublishDenied,
  assertSubscribeDenied,
  plaintextExchange,
  watchedClient,
  type WatchedClient,
} from './nats-permissions-kit.js';

const NODES = ['node-1', 'node-1.example', 'node-2'];

describe('generated nats-server.conf enforces the fleet permissions', { timeout: 90_000 }, () => {
  let temp: TempDir;
  let fleet: TestFleet;
  let nats: NatsInstance;
  let coordinator: WatchedClient;
  let agent: WatchedClient;
  const opened: NatsConnection[] = [];
  const client = async (name: string): Promise<WatchedClient> => {
    const watched = await watchedClient(fleet.connectOptions(name, nats.url));
    opened.push(watched.nc);
    return watched;
  };

  before(async () => {
    temp = makeTempDir('airlift-fleet-perms');
    fleet = await makeTestFleet(temp.path, NODES);
    nats = await fleet.startNats();
    coordinator = await client('coordinator');
    agent = await client('node-1');
    const kvm = new Kvm(coordinator.nc);
    await kvm.create(Buckets.fleet);
    const runs = await kvm.create(Buckets.runs, { history: 64 });
    await runs.put('r1', '{"secret":"run state"}');
  });

  after(async () => {
    await Promise.all(opened.map((nc) => nc.close().catch(() => undefined)));
    await nats.stop();
    await temp.remove();
  });

  describe('who may connect', () => {
    it('refuses a client without credentials', async () => {
      const { ca } = fleet.identity('coordinator').tls;
      await assert.rejects(
        connect({ servers: [nats.url], tls: { ca }, reconnect: false, timeout: 2_000 }),
        /authorization/i,
      );
    });

    it('refuses an nkey the fleet does not know', async () => {
      const { ca } = fleet.identity('coordinator').tls;
      const stranger = createUser();
      await assert.rejects(
        connect({
          servers: [nats.url],
          tls: { ca },
          authenticator: nkeyAuthenticator(stranger.getSeed()),
          reconnect: false,
          timeout: 2_000,
        }),
        /authorization/i,
      );
    });

    it('refuses a client that will not speak TLS', async () => {
      const said = await plaintextExchange(nats.port);
      assert.match(said, /^INFO .*"tls_required":true/);
      assert.doesNotMatch(said, /PONG/);
    });

    it('admits every identity of the fleet', async () => {
      for (const name of NODES) await (await client(name)).nc.flush();
    });
  });

  describe('an agent', () => {
    const other = 'node-2';
    const dotted = 'node-1.example';

    it('cannot subscribe to another node’s jobs, nor to everything', async () => {
      await assertSubscribeDenied(agent, coordinator.nc, Subjects.job(other), Subjects.job(other));
      await assertSubscribeDenied(agent, coordinator.nc, Subjects.job(dotted), Subjects.job(dotted));
      await assertSubscribeDenied(agent, coordinator.nc, 'airlift.v1.>', Subjects.job(other));
      await assertSubscribeDenied(agent, coordinator.nc, '$KV.>', `$KV.${Buckets.runs}.probe`);
      await assertSubscribeDenied(agent, coordinator.nc, '_INBOX_other.>', '_INBOX_other.x');
    });

    it('cannot publish jobs, nor speak for another node', async () => {
      for (const subject of [
        Subjects.job('node-1'),
        Subjects.job(other),
        Subjects.heartbeat(other),
        Subjects.heartbeat(dotted),
        Subjects.events('r1', other),
        Subjects.events('r1', dotted),
        `$KV.${Buckets.fleet}.${other}`,
        `$KV.${Buckets.fleet}.${dotted}`,
        `$KV.${Buckets.runs}.r1`,
        `$JS.API.DIRECT.GET.KV_${Buckets.runs}.$KV.${Buckets.runs}.r1`,
        `$JS.API.STREAM.MSG.GET.KV_${Buckets.runs}`,
        `$JS.API.CONSUMER.CREATE.KV_${Buckets.runs}`,
        `$JS.API.INFO`,
      ]) {
        await assertPublishDenied(agent, coordinator.nc, subject);
      }
    });

    it('cannot touch the JetStream API', async () => {
      const subject = `$JS.API.STREAM.DELETE.KV_${Buckets.fleet}`;
      await assertPublishDenied(agent, coordinator.nc, subject);
      await assert.rejects(agent.nc.request(subject, '', { timeout: 1_000 }));
      const jsm = await jetstreamManager(coordinator.nc);
      assert.equal((await jsm.streams.info(`KV_${Buckets.fleet}`)).config.name, `KV_${Buckets.fleet}`);
    });

    it('cannot read the runs bucket nor write another node’s registry key', async () => {
      const runs = await openBound(agent.nc, Buckets.runs);
      await assert.rejects(runs.get('r1'));
      const registry = await openBound(agent.nc, Buckets.fleet);
      await assert.rejects(registry.put(other, '{"forged":true}'));
      assert.equal(await (await new Kvm(coordinator.nc).open(Buckets.fleet)).get(other), null);
    });

    it('publishes its own heartbeat and events, and puts its own registry key', async () => {
      const earlier = agent.violations.length;
      const seen: string[] = [];
      const sub = coordinator.nc.subscribe('airlift.v1.>', {
        callback: (_err, msg) => {
          seen.push(msg.subject);
        },
      });
      await coordinator.nc.flush();
      agent.nc.publish(Subjects.heartbeat('node-1'), '{}');
      agent.nc.publish(Subjects.events('r1', 'node-1'), '{}');
      await agent.nc.flush();
      const registry = await openBound(agent.nc, Buckets.fleet);
      await registry.put('node-1', '{"state":"ready"}');
      await coordinator.nc.flush();
      sub.unsubscribe();
      assert.deepEqual(seen.sort(), [Subjects.events('r1', 'node-1'), Subjects.heartbeat('node-1')]);
      const entry = await (await new Kvm(coordinator.nc).open(Buckets.fleet)).get('node-1');
      assert.equal(entry?.string(), '{"state":"ready"}');
      assert.deepEqual(agent.violations.slice(earlier), []);
    });

    it('with a dotted name, uses its own subjects and none of node-1’s', async () => {
      const dottedAgent = await client(dotted);
      const registry = await openBound(dottedAgent.nc, Buckets.fleet);
      await registry.put(dotted, '{"state":"ready"}');
      const entry = await (await new Kvm(coordinator.nc).open(Buckets.fleet)).get(dotted);
      assert.equal(entry?.string(), '{"state":"ready"}');
      await assertPublishDenied(dottedAgent, coordinator.nc, Subjects.heartbeat('node-1'));
      await assertSubscribeDenied(
        dottedAgent,
        coordinator.nc,
        Subjects.job('node-1'),
        Subjects.job('node-1'),
      );
    });

    it('receives a request on its job subject and answers it', async () => {
      const sub = agent.nc.subscribe(Subjects.job('node-1'), {
        max: 1,
        callback: (_err, msg) => {
          msg.respond(`ack ${msg.string()}`);
        },
      });
      await agent.nc.flush();
      const reply = await coordinator.nc.request(Subjects.job('node-1'), 'job-1', { timeout: 2_000 });
      assert.equal(reply.string(), 'ack job-1');
      await sub.closed;
    });
  });

  describe('the coordinator', () => {
    it('creates buckets and reads every key', async () => {
      const kvm = new Kvm(coordinator.nc);
      const names: string[] = [];
      for await (const status of kvm.list()) names.push(status.bucket);
      assert.deepEqual(names.sort(), [Buckets.fleet, Buckets.runs]);
      assert.equal((await (await kvm.open(Buckets.runs)).get('r1'))?.string(), '{"secret":"run state"}');
      const keys: string[] = [];
      for await (const key of await (await kvm.open(Buckets.fleet)).keys()) keys.push(key);
      assert.ok(keys.includes('node-1'), `keys: ${keys.join(', ')}`);
    });

    it('subscribes to anything but cannot forge an agent’s heartbeat or events', async () => {
      const witness = await client('coordinator');
      await assertPublishDenied(coordinator, witness.nc, Subjects.heartbeat('node-1'));
      await assertPublishDenied(coordinator, witness.nc, Subjects.events('r1', 'node-1'));
    });
  });
});

describe('add-node and remove-node take effect when nats-server reloads', { timeout: 60_000 }, () => {
  let temp: TempDir;
  let fleet: TestFleet;
  let nats: NatsInstance;
  before(async () => {
    temp = makeTempDir('airlift-fleet-reload');
    fleet = await makeTestFleet(temp.path, ['node-1']);
    nats = await fleet.startNats();
  });
  after(async () => {
    await nats.stop();
    await temp.remove();
  });
  const tryConnect = async (name: string | NodeConnectionOptions): Promise<NatsConnection> =>
    connect({
      ...(typeof name === 'string' ? fleet.connectOptions(name, nats.url) : name),
      reconnect: false,
      timeout: 2_000,
    });
  const reload = (): void => {
    process.kill(nats.pid(), 'SIGHUP');
  };
  // The reload is asynchronous: poll until the expected outcome, for at most 5 s.
  const eventually = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  };

  it('admits an added node only after the reload, and drops a removed one', async () => {
    // Read before remove-node deletes the file: the node itself still holds a copy.
    const node1Options = fleet.connectOptions('node-1', nats.url);
    const node1 = await tryConnect(node1Options);
    await addNode(fleet.paths.dir, 'node-2');
    await assert.rejects(tryConnect('node-2'), /authorization/i);
    reload();
    const node2 = await eventually(() => tryConnect('node-2'));
    await node2.close();

    await removeNode(fleet.paths.dir, 'node-1');
    reload();
    await eventually(() => assert.rejects(tryConnect(node1Options), /authorization/i));
    // The connection node-1 already had is closed by the reload too.
    const closed = await Promise.race([node1.closed().then(() => 'closed'), sleep(3_000, 'still open')]);
    if (closed !== 'closed') await node1.close();
    assert.equal(closed, 'closed');
  });
});

// The agent's way in: bind to a bucket the coordinator made, without any $JS.API call.
async function openBound(nc: NatsConnection, bucket: string): Promise<KV> {
  return new Kvm(nc).open(bucket);
}
