import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { status as GrpcStatus, credentials } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import {
  jobAckSchema,
  Subjects,
  type Heartbeat,
  type LoadImagesJob as Job,
  type JobAck,
} from '../../shared/control/index.js';
import { openMessage, seal, SigningKey } from '../../shared/trust/index.js';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { readStandInLog, standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { runCli, startCli, type CliRun } from '../helpers/run-cli.js';
import { makeTestFleet, type TestFleet } from '../helpers/test-fleet.js';
import {
  askForPiece,
  attackerConnect,
  envelopeBody,
  leaksIn,
  noClientCert,
  plaintextNatsExchange,
  secretsOf,
  waitUntil,
  withClientCert,
  type AttackerConnection,
  type PieceAttempt,
} from './attack-kit.js';
import { referencesOn, storedRuns, upgradeArgs } from './fleet-checks.js';

const NODES = ['node-a', 'node-b', 'node-c'] as const;
const ATTACKER_REGISTRY = 'attacker.example/pwned';

/** A job as it crossed the bus: its subject, the exact bytes, and its body (read, not checked). */
interface CapturedJob {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly job: Job;
}

/** One row of `airlift status --output json`. */
type StatusRow = Heartbeat & { health: string };

describe('attacks on a secure fleet (issue 11): every one fails', { timeout: 900_000 }, () => {
  let fleet: LocalFleet | undefined;
  let trust: TestFleet;
  let rogue: TestFleet;
  let bundle: SampleBundle;
  let insider: AttackerConnection;
  const attackers: AttackerConnection[] = [];
  /** Every job the insider saw, in order. */
  const jobs: CapturedJob[] = [];
  /** Every event subject the insider saw (with the node it names). */
  const events: { subject: string; node: string; runId: string }[] = [];
  /** Every CLI output the tests produced, searched for secrets at the end. */
  const outputs: { label: string; text: string }[] = [];
  let runs = 0;
  /** What `airlift upgrade` printed when every agent refused its job (attack 4). */
  let stolenKeyRun: CliRun | undefined;

  const live = (): LocalFleet => {
    assert.ok(fleet !== undefined, 'the fleet started');
    return fleet;
  };
  const cli = async (
    label: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<CliRun> => {
    const run = await runCli(args, env);
    outputs.push({ label, text: `${run.stdout}\n${run.stderr}` });
    return run;
  };
  const nextRun = (): { dir: string; log: string } => {
    const n = ++runs;
    return { dir: join(live().dir, `run-${n}`), log: join(live().dir, `kube-${n}.log`) };
  };
  const status = async (): Promise<StatusRow[]> => {
    const run = await cli('status', ['status', ...live().coordinatorArgs, '--output', 'json']);
    const rows = JSON.parse(run.stdout) as StatusRow[];
    const unhealthy = rows.length === 0 || rows.some((r) => r.health !== 'healthy');
    assert.equal(run.exitCode, unhealthy ? 11 : 0, run.stderr);
    return rows;
  };
  const row = async (node: string): Promise<StatusRow> => {
    const found = (await status()).find((r) => r.node === node);
    assert.ok(found !== undefined, `airlift status lists ${node}`);
    return found;
  };
  const jobsOf = (node: string): CapturedJob[] => jobs.filter((j) => j.job.node === node);
  const attacker = async (name: string): Promise<AttackerConnection> => {
    const conn = await attackerConnect(trust.connectOptions(name, live().nats.url));
    attackers.push(conn);
    return conn;
  };
  const assertNoHelmUpgrade = async (log: string): Promise<void> => {
    const calls = await readStandInLog(log);
    assert.ok(
      !calls.some((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'apply'),
      `no mutating kube command ran: ${JSON.stringify(calls.map((c) => c.argv))}`,
    );
  };

  before(async () => {
    // node-a receives at most 2 MB/s: the forged-report test kills it mid-transfer, not after it finished.
    fleet = await startLocalFleet([
      { name: 'node-a', runtime: 'containerd', agentArgs: ['--max-rate', '2MB/s'] },
      { name: 'node-b', runtime: 'containerd' },
      { name: 'node-c', runtime: 'containerd' },
    ]);
    assert.ok(fleet.trust !== undefined, 'a secure fleet');
    trust = fleet.trust;
    bundle = await writeSampleBundle(fleet.dir, { layerBytes: 128 * 1024 });
    // Another fleet, same node names: its identities are valid, just not this fleet's.
    rogue = await makeTestFleet(join(fleet.dir, 'rogue-fleet'), [...NODES]);
    await rogue.pointAt(fleet.nats.url);
    // An insider holding the coordinator's NATS credentials (not its signing key) sees every job.
    insider = await attacker('coordinator');
    insider.nc.subscribe('airlift.v1.job.>', {
      callback: (err, msg) => {
        if (err === null)
          jobs.push({ subject: msg.subject, data: msg.data, job: envelopeBody(msg.data) as Job });
      },
    });
    insider.nc.subscribe('airlift.v1.events.>', {
      callback: (err, msg) => {
        if (err !== null) return;
        const [, , , runId = '', node = ''] = msg.subject.split('.');
        events.push({ subject: msg.subject, node, runId });
      },
    });
    await insider.nc.flush();
  });

  after(async () => {
    await Promise.allSettled(attackers.map((a) => a.nc.close()));
    await fleet?.stop();
  });

  it('1. sniffing: no credentials and plaintext are refused; node-b cannot subscribe to jobs while an upgrade runs', async () => {
    const url = live().nats.url;
    const ca = trust.identity('coordinator').tls.ca;
    await assert.rejects(
      connect({ servers: [url], tls: { ca }, reconnect: false, timeout: 5000, name: 'no-creds' }),
      (err: Error) => /authorization/i.test(`${err.name} ${err.message}`),
      'a client without credentials is refused',
    );
    const plain = await plaintextNatsExchange(url.replace(/^tls:/, 'nats:'));
    assert.match(plain.info, /"tls_required":\s*true/);
    // The server hangs up on a plaintext CONNECT (it waits for a TLS handshake): no PONG, no session.
    assert.doesNotMatch(plain.answer, /PONG|\+OK/, `a plaintext CONNECT is refused: ${plain.answer}`);

    const sniffer = await attacker('node-b');
    const sniffed: string[] = [];
    const wanted = ['airlift.v1.job.>', 'airlift.v1.job.node-a', 'airlift.v1.>'];
    for (const subject of wanted) {
      sniffer.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err === null) sniffed.push(msg.subject);
        },
      });
    }
    await sniffer.nc.flush();
    const { dir, log } = nextRun();
    const run = await cli('upgrade (sniffed)', upgradeArgs(live(), bundle.path, dir), standInEnv(log));
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    await waitUntil(() => sniffer.violations.length >= wanted.length, 'three permission violations', 10_000);
    assert.deepEqual(
      sniffer.violations.map((v) => `${v.operation} ${v.subject}`).sort(),
      wanted.map((s) => `subscription ${s}`).sort(),
    );
    assert.deepEqual(sniffed, [], 'node-b received nothing');
    // There was something to sniff: one signed job per node crossed the bus.
    assert.deepEqual(jobs.map((j) => j.job.node).sort(), [...NODES]);
  });

  it('2. a replayed, edited or self-signed job is refused; nothing is loaded; the refusals are counted', async () => {
    const captured = jobsOf('node-a')[0];
    assert.ok(captured !== undefined, 'a real job of node-a was captured');
    const before = (await row('node-a')).refusals.total;
    // The answers are node-a's own: signed with its key.
    const nodeAKey = SigningKey.fromPem(trust.identity('node-a').signingKey).verifyKey;
    const ask = async (data: Uint8Array): Promise<JobAck> => {
      const reply = await insider.nc.request(captured.subject, data, { timeout: 10_000 });
      return openMessage(jobAckSchema, 'ack', captured.subject, reply.data, {
        kind: 'signed',
        keyFor: (signer) => (signer === 'node-a' ? nodeAKey : undefined),
      }).message;
    };
    const poisoned = (job: Job, suffix: string): Job => ({
      ...job,
      jobId: `${job.jobId}-${suffix}`,
      payload: {
        ...job.payload,
        plan: {
          ...job.payload.plan,
          entries: job.payload.plan.entries.map((e) => ({
            ...e,
            target: e.target.replace(/^[^/]+/, ATTACKER_REGISTRY),
          })),
        },
      },
    });

    const replayed = await ask(captured.data);
    assert.equal(replayed.accepted, false);
    assert.match(replayed.reason ?? '', /already accepted once/);

    // The body edited, the coordinator's signature kept.
    const envelope = JSON.parse(Buffer.from(captured.data).toString('utf8')) as { body: string };
    const edited = { ...envelope, body: JSON.stringify(poisoned(captured.job, 'edited')) };
    const editedAck = await ask(Buffer.from(JSON.stringify(edited)));
    assert.equal(editedAck.accepted, false);
    assert.match(editedAck.reason ?? '', /signature/);

    // Signed with a key the attacker made, claiming to be the coordinator.
    const fresh = { ...poisoned(captured.job, 'forged'), issuedAt: new Date().toISOString() };
    const forgedAck = await ask(seal('job', fresh, { name: 'coordinator', key: SigningKey.generate() }));
    assert.equal(forgedAck.accepted, false);
    assert.match(forgedAck.reason ?? '', /signature does not match/);

    const unsigned = { ...poisoned(captured.job, 'unsigned'), issuedAt: new Date().toISOString() };
    const unsignedAck = await ask(seal('job', unsigned, { name: 'coordinator', key: undefined }));
    assert.equal(unsignedAck.accepted, false);
    assert.match(unsignedAck.reason ?? '', /not signed/);

    for (const node of live().nodes) {
      const held = await referencesOn(node);
      assert.ok(
        !held.some((r) => r.startsWith('attacker.example/')),
        `${node.name} holds no attacker reference: ${held.join(', ')}`,
      );
    }
    // The heartbeat carries the count: wait for a beat sent after the refusals.
    const deadline = Date.now() + 15_000;
    let seen = await row('node-a');
    while (seen.refusals.total < before + 4 && Date.now() < deadline) {
      await sleep(500);
      seen = await row('node-a');
    }
    assert.equal(seen.refusals.total, before + 4, 'airlift status counts the four refusals');
    assert.match(seen.refusals.last?.reason ?? '', /not signed/);
  });

  it('5a. stealing pieces from an agent after the run: no certificate, plaintext, another fleet, or a node not served all fail', async () => {
    const rows = await status();
    const addressOf = (node: string): string => {
      const address = rows.find((r) => r.node === node)?.grpcAddress;
      assert.ok(address !== undefined && address !== '', `${node} has a gRPC address`);
      return address;
    };
    const first = jobs.slice(0, NODES.length);
    const runId = first[0]?.job.runId ?? '';
    const archiveId = first[0]?.job.payload.archive.id ?? '';
    const nodeB = trust.identity('node-b');
    const ca = nodeB.tls.ca;
    const asNodeB = withClientCert(ca, nodeB.tls.cert, nodeB.tls.key);
    // The first run's servesTo decides: node-b may fetch from some nodes and not from others.
    const denying = first.find(
      (j) => j.job.node !== 'node-b' && !j.job.payload.archive.servesTo.includes('node-b'),
    );
    const serving = first.find((j) => j.job.payload.archive.servesTo.includes('node-b'));
    assert.ok(
      denying !== undefined,
      `some node does not serve node-b: ${JSON.stringify(first.map((j) => [j.job.node, j.job.payload.archive.servesTo]))}`,
    );
    const victim = addressOf(denying.job.node);
    const ask = { archiveId, node: 'node-b', runId };

    const denied = await askForPiece(victim, asNodeB, ask);
    assertRefused(denied, GrpcStatus.PERMISSION_DENIED, `node-b fetching from ${denying.job.node}`);
    assert.ok(serving !== undefined, 'some node serves node-b');
    // The same request where servesTo allows it succeeds: the refusal above is the access rule, not a missing archive.
    assertServed(
      await askForPiece(addressOf(serving.job.node), asNodeB, ask),
      `node-b from ${serving.job.node}`,
    );
    // node-b's certificate naming another node in the request is refused too.
    const posing = await askForPiece(addressOf(serving.job.node), asNodeB, { ...ask, node: 'node-c' });
    assertRefused(posing, GrpcStatus.PERMISSION_DENIED, 'node-b posing as node-c');
    const target = addressOf(serving.job.node);
    assertRefused(
      await askForPiece(target, noClientCert(ca), ask),
      GrpcStatus.UNAVAILABLE,
      'no client certificate',
    );
    assertRefused(
      await askForPiece(target, credentials.createInsecure(), ask),
      GrpcStatus.UNAVAILABLE,
      'plaintext',
    );
    const other = rogue.identity('node-b');
    assertRefused(
      await askForPiece(target, withClientCert(ca, other.tls.cert, other.tls.key), ask),
      GrpcStatus.UNAVAILABLE,
      "another fleet's node-b certificate",
    );
  });

  it('3 + 5b. a forged report for a killed node does not pass the barrier; the held run serves no thief', async () => {
    const f = live();
    await mkdir(join(f.dir, 'forge'));
    // A new archive of its own (about 5 MB): node-a, at 2 MB/s, is still receiving it when it dies.
    const own = await writeSampleBundle(join(f.dir, 'forge'), { layerBytes: 1024 * 1024 });
    const spy = await attacker('node-b');
    const nodeBKey = SigningKey.fromPem(trust.identity('node-b').signingKey);
    const { dir, log } = nextRun();
    const jobsBefore = jobsOf('node-a').length;
    // node-b is outside the run: the coordinator's data plane must refuse it.
    const run = startCli(upgradeArgs(f, own.path, dir, ['--nodes', 'node-a,node-c']), standInEnv(log));
    let ended: CliRun | undefined;
    try {
      await waitUntil(() => jobsOf('node-a').length > jobsBefore, "node-a's job", 60_000);
      const job = jobsOf('node-a').at(-1)!.job;
      await waitUntil(
        () => events.some((e) => e.runId === job.runId && e.node === 'node-a'),
        'node-a to start its job',
        30_000,
      );
      const report = {
        node: 'node-a',
        runtime: {
          kind: 'containerd',
          version: '1.7.0',
          endpoint: '/run/containerd/containerd.sock',
          namespace: 'k8s.io',
        },
        bytesLoaded: job.payload.archive.size,
        loadMs: 10,
        totalMs: 20,
        images: job.payload.plan.entries.map((e) => ({
          source: e.source,
          target: e.target,
          configDigest: e.configDigest,
          loaded: true,
          retagged: true,
          verified: true,
        })),
        ok: true,
      };
      const event = {
        v: 1,
        runId: job.runId,
        jobId: job.jobId,
        node: 'node-a',
        seq: 1000,
        at: new Date().toISOString(),
        body: { type: 'report', report },
      };
      const asNodeB = { name: 'node-b', key: nodeBKey };
      spy.nc.publish(Subjects.events(job.runId, 'node-a'), seal('event', event, asNodeB));
      spy.nc.publish(Subjects.events(job.runId, 'node-b'), seal('event', event, asNodeB));
      // node-b's key, node-a's name as signer.
      spy.nc.publish(
        Subjects.events(job.runId, 'node-b'),
        seal('event', event, { name: 'node-a', key: nodeBKey }),
      );
      await spy.nc.flush();
      outputs.push({ label: 'agent node-a (before kill)', text: f.node('node-a').agent.logs() });
      await f.killAgent('node-a');

      // The run is held (node-a not yet judged down): its data plane serves only node-a and node-c.
      const coordinator = job.payload.archive.stripes.flat().find((s) => s.name === 'coordinator');
      assert.ok(coordinator !== undefined, 'the job names the coordinator as a source');
      const ask = { archiveId: job.payload.archive.id, node: 'node-b', runId: job.runId };
      const ca = trust.identity('node-b').tls.ca;
      const nodeB = trust.identity('node-b');
      const nodeC = trust.identity('node-c');
      assertRefused(
        await askForPiece(coordinator.address, withClientCert(ca, nodeB.tls.cert, nodeB.tls.key), ask),
        GrpcStatus.PERMISSION_DENIED,
        'node-b (not in the run) fetching from the coordinator',
      );
      assertServed(
        await askForPiece(coordinator.address, withClientCert(ca, nodeC.tls.cert, nodeC.tls.key), {
          ...ask,
          node: 'node-c',
        }),
        'node-c, in the run, from the coordinator',
      );
      assertRefused(
        await askForPiece(coordinator.address, noClientCert(ca), ask),
        GrpcStatus.UNAVAILABLE,
        'no certificate',
      );
      const other = rogue.identity('node-c');
      assertRefused(
        await askForPiece(coordinator.address, withClientCert(ca, other.tls.cert, other.tls.key), {
          ...ask,
          node: 'node-c',
        }),
        GrpcStatus.UNAVAILABLE,
        "another fleet's node-c certificate",
      );

      ended = await run.exited(180_000);
      outputs.push({ label: 'upgrade (forged report)', text: `${ended.stdout}\n${ended.stderr}` });
      assert.equal(ended.exitCode, 8, `${ended.stdout}\n${ended.stderr}`);
      assert.match(ended.stderr, /barrier: .*node-a/);
      assert.doesNotMatch(ended.stderr, /barrier: .*node-c/);
      await assertNoHelmUpgrade(log);
      assert.ok(
        spy.violations.some(
          (v) => v.operation === 'publish' && v.subject === Subjects.events(job.runId, 'node-a'),
        ),
        `NATS refused node-b's publish on node-a's subject: ${spy.violations.map((v) => v.message).join('; ')}`,
      );
      const stored = (await storedRuns(f)).find((r) => r.runId === job.runId);
      assert.equal(stored?.nodes['node-a']?.status, 'failed');
    } finally {
      if (ended === undefined) {
        // SIGTERM lets it record the run and free the fleet's run lock for the next test.
        run.signal('SIGTERM');
        await run.exited(30_000).catch(() => undefined);
      }
      if (f.node('node-a').agent.hasExited()) await f.startAgent('node-a');
    }
  });

  it('4. a rogue coordinator: another fleet cannot connect; the real credentials with another signing key get every job refused', async () => {
    const f = live();
    const { dir, log } = nextRun();
    const args = upgradeArgs(f, bundle.path, dir).map((a, i, all) =>
      all[i - 1] === '--identity' ? rogue.coordinatorFile : a,
    );
    assert.ok(args.includes(rogue.coordinatorFile));
    const foreign = await cli('upgrade (rogue fleet)', args, standInEnv(log));
    assert.equal(foreign.exitCode, 7, `${foreign.stdout}\n${foreign.stderr}`);
    // Its CA did not sign the server's certificate: TLS fails before the credentials are even offered.
    assert.match(foreign.stderr, /NATS at \S+: cannot connect \(unable to verify/);
    // Knowing the fleet CA (it is public) gets past TLS, not past the server's user list.
    const caFile = join(f.dir, 'fleet-ca.pem');
    writeFileSync(caFile, trust.identity('coordinator').tls.ca);
    const withCa = await cli(
      'upgrade (rogue fleet, real CA)',
      [...args, '--nats-ca', caFile],
      standInEnv(log),
    );
    assert.equal(withCa.exitCode, 7, `${withCa.stdout}\n${withCa.stderr}`);
    assert.match(withCa.stderr, /refused the credentials \(Authorization Violation\)/);
    await assertNoHelmUpgrade(log);

    // The coordinator's NATS credentials, but a signing key of the attacker's own.
    const stolen = { ...trust.identity('coordinator'), signingKey: SigningKey.generate().toPem() };
    const stolenFile = join(f.dir, 'stolen-coordinator.json');
    writeFileSync(stolenFile, `${JSON.stringify(stolen, null, 2)}\n`, { mode: 0o600 });
    const second = nextRun();
    const registry = '10.66.6.6';
    const stolenArgs = upgradeArgs(f, bundle.path, second.dir, [
      '--force-load',
      '--image-registry',
      registry,
    ]).map((a, i, all) => (all[i - 1] === '--identity' ? stolenFile : a));
    const refusedBefore = new Map((await status()).map((r) => [r.node, r.refusals.total]));
    const refused = await cli('upgrade (stolen credentials, own key)', stolenArgs, standInEnv(second.log));
    stolenKeyRun = refused;
    assert.equal(refused.exitCode, 8, `${refused.stdout}\n${refused.stderr}`);
    for (const node of NODES)
      assert.match(refused.stdout, new RegExp(`FAIL ${node}: 0/5 references verified`));
    // Every agent refused the job for its signature (their own count and reason, in their heartbeats).
    const deadline = Date.now() + 15_000;
    let rows = await status();
    const counted = (): boolean =>
      NODES.every((n) => (rows.find((r) => r.node === n)?.refusals.total ?? 0) > (refusedBefore.get(n) ?? 0));
    while (!counted() && Date.now() < deadline) {
      await sleep(500);
      rows = await status();
    }
    for (const node of NODES) {
      const seen = rows.find((r) => r.node === node);
      assert.equal(seen?.refusals.total, (refusedBefore.get(node) ?? 0) + 1, `${node} refused one more job`);
      assert.match(seen.refusals.last?.reason ?? '', /signature does not match coordinator's key/);
    }
    assert.match(refused.stderr, /barrier: 3 of 3 node\(s\)/);
    await assertNoHelmUpgrade(second.log);
    for (const node of f.nodes) {
      const held = await referencesOn(node);
      assert.ok(
        !held.some((r) => r.startsWith(`${registry}/`)),
        `${node.name} loaded nothing: ${held.join(', ')}`,
      );
    }
  });

  it("6. a node cannot be another: --node with another's identity exits 2; node-b cannot write node-a's registry entry", async () => {
    const f = live();
    const a = f.node('node-a');
    const impostor = startCli([
      'agent',
      '--identity',
      trust.nodeFiles['node-a'] ?? '',
      '--node',
      'node-c',
      '--nats',
      f.nats.url,
      '--grpc-listen',
      '127.0.0.1:0',
      '--spool-dir',
      join(f.dir, 'spool-impostor'),
      ...a.runtimeArgs,
    ]);
    const ended = await impostor.exited(30_000);
    outputs.push({ label: 'agent (impostor)', text: `${ended.stdout}\n${ended.stderr}` });
    assert.equal(ended.exitCode, 2, `${ended.stdout}\n${ended.stderr}`);
    assert.match(ended.stderr, /node-a/);
    assert.match(ended.stderr, /node-c/);

    const before = await row('node-a');
    const writer = await attacker('node-b');
    const forged: Heartbeat = {
      ...before,
      grpcAddress: '203.0.113.66:7480',
      sentAt: new Date().toISOString(),
    };
    const key = SigningKey.fromPem(trust.identity('node-b').signingKey);
    writer.nc.publish('$KV.airlift-fleet.node-a', seal('heartbeat', forged, { name: 'node-a', key }));
    writer.nc.publish('$KV.airlift-fleet.node-a', seal('heartbeat', forged, { name: 'node-b', key }));
    await writer.nc.flush();
    await waitUntil(() => writer.violations.length >= 2, 'the KV put to be refused', 10_000);
    assert.ok(
      writer.violations.every((v) => v.operation === 'publish' && v.subject === '$KV.airlift-fleet.node-a'),
      writer.violations.map((v) => v.message).join('; '),
    );
    // Two beats later the entry is still node-a's own.
    await sleep(2500);
    const after = await row('node-a');
    assert.equal(after.node, 'node-a');
    assert.equal(after.health, 'healthy');
    assert.equal(after.bootId, before.bootId);
    assert.equal(after.grpcAddress, before.grpcAddress);
    assert.ok(Date.parse(after.sentAt) > Date.parse(before.sentAt), 'node-a kept beating');
  });

  it("4 (operator's view). the agents' reason for refusing reaches the operator", () => {
    assert.ok(stolenKeyRun !== undefined, 'attack 4 ran');
    for (const node of NODES) {
      assert.match(stolenKeyRun.stdout, new RegExp(`FAIL ${node}: .*agent refused the job: .*signature`));
    }
  });

  it('no secret (nkey seed, private key) appears in any CLI output or agent log', () => {
    const f = live();
    const secrets = [...secretsOf(trust, NODES), ...secretsOf(rogue, NODES)];
    const logs = readdirSync(f.dir)
      .filter((name) => /^agent-.*\.log$/.test(name))
      .map((name) => ({ label: name, text: readFileSync(join(f.dir, name), 'utf8') }));
    assert.equal(logs.length, NODES.length);
    const checked = [...outputs, ...logs];
    assert.ok(checked.length > 10, `${checked.length} outputs checked`);
    for (const { label, text } of checked) {
      assert.deepEqual(leaksIn(text, secrets), [], `${label} leaks nothing`);
    }
  });
});

/** Asserts a data-plane attempt got no piece and ended with `code`. */
function assertRefused(attempt: PieceAttempt, code: GrpcStatus, who: string): void {
  assert.equal(attempt.got, 'error', `${who}: got a piece`);
  assert.equal(attempt.code, code, `${who}: ${GrpcStatus[attempt.code] ?? attempt.code} ${attempt.details}`);
}

/** Asserts a data-plane attempt got a piece. */
function assertServed(attempt: PieceAttempt, who: string): void {
  assert.equal(
    attempt.got,
    'piece',
    `${who}: ${attempt.got === 'error' ? `${GrpcStatus[attempt.code] ?? attempt.code} ${attempt.details}` : ''}`,
  );
}
