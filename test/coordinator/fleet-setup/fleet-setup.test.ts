import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fromSeed } from '@nats-io/nkeys';
import {
  addNode,
  initFleet,
  removeNode,
  showFleet,
  type FleetWriteResult,
  type IdentityFile,
} from '../../../coordinator/fleet-setup/index.js';
import { ErrorCode } from '../../../shared/errors/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const readIdentity = (path: string): IdentityFile => JSON.parse(readFileSync(path, 'utf8')) as IdentityFile;
const modeOf = (path: string): number => statSync(path).mode & 0o777;
const configInvalid = { code: ErrorCode.ConfigInvalid };

describe('fleet setup', () => {
  let temp: TempDir;
  let dir: string;
  let init: FleetWriteResult;

  before(async () => {
    temp = makeTempDir('airlift-fleet-setup');
    dir = `${temp.path}/fleet`;
    init = await initFleet({
      dir,
      nodes: ['node-1', 'node-1.example'],
      natsUrls: ['tls://spark.example:4222'],
      natsHosts: ['10.0.0.5'],
      natsStoreDir: '/srv/nats',
      fleetId: 'fleet-test',
    });
  });
  after(() => temp.remove());

  it('writes every file 0600 in 0700 dirs, the roster last', () => {
    const p = init.paths;
    assert.deepEqual(init.written.at(-1), p.roster);
    for (const file of [p.caCert, p.caKey, p.coordinator, p.roster, p.natsConf, p.serverCert, p.serverKey]) {
      assert.equal(modeOf(file), 0o600, file);
    }
    for (const d of [p.dir, p.nodesDir, p.natsDir]) assert.equal(modeOf(d), 0o700, d);
    assert.equal(modeOf(p.node('node-1.example')), 0o600);
  });

  it('gives each identity a working nkey, inbox prefix, certificate and signing key', () => {
    const coordinator = readIdentity(init.paths.coordinator);
    const agent = readIdentity(init.paths.node('node-1'));
    const roster = JSON.parse(readFileSync(init.paths.roster, 'utf8')) as {
      nodes: Record<string, { nkey: string }>;
    };
    assert.equal(agent.v, 1);
    assert.equal(agent.fleet, 'fleet-test');
    assert.equal(agent.role, 'agent');
    assert.equal(agent.name, 'node-1');
    assert.deepEqual(agent.nats.urls, ['tls://spark.example:4222']);
    const user = fromSeed(new TextEncoder().encode(agent.nats.seed));
    assert.equal(user.getPublicKey(), roster.nodes['node-1']?.nkey);
    assert.equal(agent.nats.inboxPrefix, `_INBOX_${user.getPublicKey()}`);
    const ca = new X509Certificate(readFileSync(init.paths.caCert, 'utf8'));
    assert.equal(agent.tls.ca, ca.toString());
    const cert = new X509Certificate(agent.tls.cert);
    assert.equal(cert.verify(ca.publicKey), true);
    assert.equal(cert.subjectAltName, 'URI:airlift://agent/node-1');
    assert.equal(cert.checkPrivateKey(createPrivateKey(agent.tls.key)), true);
    // The agent trusts the coordinator's signing key, and the coordinator every node's.
    const data = Buffer.from('airlift/job/v1\n{}');
    const jobSig = sign(null, data, coordinator.signingKey);
    assert.equal(
      verify(null, data, (agent.trust as { coordinatorKey: string }).coordinatorKey, jobSig),
      true,
    );
    const trusted = (coordinator.trust as { nodes: Record<string, string> }).nodes;
    assert.deepEqual(Object.keys(trusted), ['node-1', 'node-1.example']);
    assert.equal(
      trusted['node-1'],
      createPublicKey(agent.signingKey).export({ format: 'pem', type: 'spki' }).toString(),
    );
    assert.equal(new X509Certificate(coordinator.tls.cert).subjectAltName, 'URI:airlift://coordinator');
  });

  it('keeps secrets out of the roster and names the server certificate’s hosts', async () => {
    const text = readFileSync(init.paths.roster, 'utf8');
    assert.doesNotMatch(text, /PRIVATE KEY|"seed"|\bSU[A-Z2-7]{56}\b/);
    const roster = await showFleet(dir);
    assert.deepEqual(roster.nats, {
      urls: ['tls://spark.example:4222'],
      listen: '0.0.0.0:4222',
      storeDir: '/srv/nats',
      hosts: ['localhost', '127.0.0.1', 'spark.example', '10.0.0.5'],
    });
    const server = new X509Certificate(readFileSync(init.paths.serverCert, 'utf8'));
    assert.equal(
      server.subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, DNS:spark.example, IP Address:10.0.0.5',
    );
  });

  it('writes a config with TLS, JetStream, quoted subjects and one user per identity', () => {
    const conf = readFileSync(init.paths.natsConf, 'utf8');
    assert.match(conf, /^listen: "0\.0\.0\.0:4222"$/m);
    assert.match(conf, new RegExp(`cert_file: "${init.paths.serverCert}"`));
    assert.match(conf, /store_dir: "\/srv\/nats"/);
    assert.equal(conf.match(/nkey: "U[A-Z2-7]{55}"/g)?.length, 3);
    assert.match(conf, /"\$KV\.airlift-fleet\.node-1\.example"/);
    assert.match(conf, /"airlift\.v1\.events\.\*\.node-1"/);
    assert.match(conf, /deny: \["airlift\.v1\.heartbeat\.>", "airlift\.v1\.events\.>"\]/);
    assert.doesNotMatch(conf, /PRIVATE KEY|\bSU[A-Z2-7]{56}\b/);
  });

  it('refuses to overwrite a fleet, bad names, the coordinator’s name and duplicates', async () => {
    await assert.rejects(initFleet({ dir, nodes: ['a'] }), configInvalid);
    const fresh = `${temp.path}/other`;
    for (const nodes of [['a*b'], ['a b'], ['-a'], ['a..b'], ['coordinator'], ['Coordinator'], ['a', 'A']]) {
      await assert.rejects(initFleet({ dir: fresh, nodes }), configInvalid, nodes.join(','));
    }
    await assert.rejects(initFleet({ dir: fresh, nodes: ['a'], natsUrls: ['http://x'] }), configInvalid);
    await assert.rejects(initFleet({ dir: fresh, nodes: ['a'], natsListen: '4222' }), configInvalid);
    await assert.rejects(addNode(dir, 'node-1'), configInvalid);
    await assert.rejects(addNode(dir, 'NODE-1'), configInvalid);
    await assert.rejects(addNode(dir, 'coordinator'), configInvalid);
    await assert.rejects(removeNode(dir, 'node-9'), configInvalid);
    await assert.rejects(addNode(`${temp.path}/nowhere`, 'x'), configInvalid);
  });

  it('replaces a fleet with --force and drops the old node files', async () => {
    const forced = `${temp.path}/forced`;
    const first = await initFleet({ dir: forced, nodes: ['old'] });
    const second = await initFleet({ dir: forced, nodes: ['new'], force: true });
    assert.notEqual(first.fleet, second.fleet);
    assert.deepEqual(second.removed, [first.paths.node('old')]);
    assert.equal(existsSync(first.paths.node('old')), false);
  });

  it('adds and removes a node, rewriting trust, config and roster', async () => {
    const before = readIdentity(init.paths.coordinator);
    const added = await addNode(dir, 'node-3');
    assert.deepEqual(added.nodes, ['node-1', 'node-1.example', 'node-3']);
    const node3 = readIdentity(init.paths.node('node-3'));
    assert.equal(node3.fleet, 'fleet-test');
    assert.deepEqual(node3.nats.urls, ['tls://spark.example:4222']);
    const ca = new X509Certificate(readFileSync(init.paths.caCert, 'utf8'));
    assert.equal(new X509Certificate(node3.tls.cert).verify(ca.publicKey), true);
    const coordinator = readIdentity(init.paths.coordinator);
    assert.equal(coordinator.nats.seed, before.nats.seed, 'the coordinator keeps its keys');
    assert.ok('node-3' in (coordinator.trust as { nodes: Record<string, string> }).nodes);
    assert.match(readFileSync(init.paths.natsConf, 'utf8'), /"airlift\.v1\.job\.node-3"/);
    assert.equal(modeOf(init.paths.node('node-3')), 0o600);

    const removed = await removeNode(dir, 'node-3');
    assert.deepEqual(removed.removed, [init.paths.node('node-3')]);
    assert.equal(existsSync(init.paths.node('node-3')), false);
    assert.deepEqual(Object.keys((readIdentity(init.paths.coordinator).trust as { nodes: object }).nodes), [
      'node-1',
      'node-1.example',
    ]);
    assert.doesNotMatch(readFileSync(init.paths.natsConf, 'utf8'), /node-3/);
    assert.deepEqual(Object.keys((await showFleet(dir)).nodes), ['node-1', 'node-1.example']);
  });

  it('refuses a coordinator.json of another fleet and a malformed roster', async () => {
    const other = `${temp.path}/mixed`;
    const a = await initFleet({ dir: other, nodes: ['a'], fleetId: 'fleet-a' });
    writeFileSync(a.paths.coordinator, readFileSync(init.paths.coordinator));
    await assert.rejects(addNode(other, 'b'), configInvalid);
    writeFileSync(a.paths.roster, '{"v":1}');
    await assert.rejects(showFleet(other), configInvalid);
  });
});
