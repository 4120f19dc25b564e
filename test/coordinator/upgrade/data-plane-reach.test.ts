import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ArchiveServer } from '../../../coordinator/data-plane/index.js';
import { unreachableAgents } from '../../../coordinator/upgrade/data-plane-reach.js';
import { pingArchiveServer, type DataPlaneTls } from '../../../shared/data-plane/index.js';
import { makeTestFleetCa } from '../../shared/data-plane/fleet-certs.js';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) =>
    probe.close(() => {
      resolve();
    }),
  );
  return port;
}

describe('unreachableAgents over real gRPC on loopback', { timeout: 30_000 }, () => {
  let agent: ArchiveServer;
  let address: string;
  let coordinator: DataPlaneTls;

  before(async () => {
    const fleet = await makeTestFleetCa();
    coordinator = await fleet.tls('coordinator');
    agent = new ArchiveServer({ tls: await fleet.tls('node-a') });
    address = await agent.start();
  });
  after(async () => {
    await agent.stop();
  });

  it('passes an agent that answers with its own certificate', async () => {
    assert.deepEqual(
      await unreachableAgents([{ node: 'node-a', grpcAddress: address }], { tls: coordinator }),
      [],
    );
  });

  it('names a closed port and an address that another node answers on', async () => {
    const port = await closedPort();
    const failed = await unreachableAgents(
      [
        { node: 'node-a', grpcAddress: `127.0.0.1:${port}` },
        // node-b advertises node-a's address (a copied --grpc-advertise).
        { node: 'node-b', grpcAddress: address },
      ],
      { tls: coordinator, timeoutMs: 2000 },
    );
    assert.equal(failed.length, 2, JSON.stringify(failed));
    assert.equal(failed[0]?.node, 'node-a');
    assert.match(
      failed[0].message,
      new RegExp(`127\\.0\\.0\\.1:${port} does not answer .*port ${port} is open`),
    );
    assert.equal(failed[1]?.node, 'node-b');
    assert.match(failed[1].message, /agent node-a, not agent node-b/);
  });

  it('connects to the piece stream port the agent answers with, and names it when it is closed', async () => {
    const port = await closedPort();
    const asked: string[] = [];
    const failed = await unreachableAgents([{ node: 'node-a', grpcAddress: address }], {
      tls: coordinator,
      timeoutMs: 2000,
      // The real agent answers; only the port it names is one nothing listens on (a firewalled port).
      ping: async (at, options) => {
        asked.push(at);
        await pingArchiveServer(at, options);
        return { pieceStreamPort: port };
      },
    });
    assert.deepEqual(asked, [address]);
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.match(
      failed[0]?.message ?? '',
      new RegExp(`piece stream at 127\\.0\\.0\\.1:${port} does not .*open port ${port} too`),
    );
  });
});
