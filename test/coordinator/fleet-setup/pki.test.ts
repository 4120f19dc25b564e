import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { createFleetCa, issueCertificate } from '../../../coordinator/fleet-setup/pki.js';

describe('fleet PKI', () => {
  it('creates a 10-year P-256 CA that can sign certificates', async () => {
    const ca = await createFleetCa('fleet-1');
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const years = (Date.parse(cert.validTo) - Date.now()) / (365.25 * 24 * 3600_000);
    assert.ok(years > 9.9 && years < 10.1, `valid for ${years} years`);
    assert.match(cert.subject, /fleet-1/);
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  it('issues leaf certificates that verify against the CA and carry the identity URI', async () => {
    const ca = await createFleetCa('fleet-1');
    const caCert = new X509Certificate(ca.certPem);
    const agent = await issueCertificate(ca, { role: 'agent', name: 'node-1.example' });
    const coordinator = await issueCertificate(ca, { role: 'coordinator', name: 'coordinator' });
    const agentCert = new X509Certificate(agent.certPem);
    assert.equal(agentCert.verify(caCert.publicKey), true);
    assert.equal(agentCert.checkIssued(caCert), true);
    assert.equal(agentCert.ca, false);
    assert.match(agentCert.subject, /CN=node-1\.example/);
    assert.equal(agentCert.subjectAltName, 'URI:airlift://agent/node-1.example');
    assert.deepEqual(agentCert.keyUsage.slice().sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(new X509Certificate(coordinator.certPem).subjectAltName, 'URI:airlift://coordinator');
    assert.notEqual(agentCert.serialNumber, new X509Certificate(coordinator.certPem).serialNumber);
    const years = (Date.parse(agentCert.validTo) - Date.now()) / (365.25 * 24 * 3600_000);
    assert.ok(years > 4.9 && years < 5.1, `valid for ${years} years`);
  });

  it('gives the server certificate DNS and IP SANs and no identity URI', async () => {
    const ca = await createFleetCa('fleet-1');
    const server = await issueCertificate(ca, {
      role: 'server',
      name: 'nats',
      hosts: ['localhost', '127.0.0.1', 'spark.example', '::1', 'localhost'],
    });
    const cert = new X509Certificate(server.certPem);
    assert.equal(
      cert.subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, DNS:spark.example, IP Address:0:0:0:0:0:0:0:1',
    );
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('spark.example'), 'spark.example');
  });

  it('lets two leaf certificates complete a mutual TLS handshake', async () => {
    const ca = await createFleetCa('fleet-1');
    const serverId = await issueCertificate(ca, { role: 'agent', name: 'node-1' });
    const clientId = await issueCertificate(ca, { role: 'coordinator', name: 'coordinator' });
    const server = createServer({
      cert: serverId.certPem,
      key: serverId.keyPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const seenByServer = new Promise<string | undefined>((resolve) => {
      server.on('secureConnection', (socket: TLSSocket) => {
        resolve(socket.getPeerCertificate().subjectaltname);
        socket.end('hello');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const client = connect({
        host: '127.0.0.1',
        port,
        cert: clientId.certPem,
        key: clientId.keyPem,
        ca: ca.certPem,
        // The identity is the SAN URI, not a host name (as the data plane checks it).
        checkServerIdentity: () => undefined,
      });
      await once(client, 'secureConnect');
      assert.equal(client.authorized, true);
      assert.equal(client.getPeerCertificate().subjectaltname, 'URI:airlift://agent/node-1');
      assert.equal(await seenByServer, 'URI:airlift://coordinator');
      client.destroy();
    } finally {
      server.close();
    }
  });

  it('refuses a client certificate from another fleet', async () => {
    const ca = await createFleetCa('fleet-1');
    const otherCa = await createFleetCa('fleet-2');
    const serverId = await issueCertificate(ca, { role: 'agent', name: 'node-1' });
    const stranger = await issueCertificate(otherCa, { role: 'coordinator', name: 'coordinator' });
    const server = createServer({
      cert: serverId.certPem,
      key: serverId.keyPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('secureConnection', (socket: TLSSocket) => socket.end('hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const client = connect({
        host: '127.0.0.1',
        port,
        cert: stranger.certPem,
        key: stranger.keyPem,
        ca: ca.certPem,
        checkServerIdentity: () => undefined,
      });
      const outcome = await new Promise<string>((resolve) => {
        client.on('error', (err: Error) => {
          resolve(`error ${err.message}`);
        });
        client.on('data', () => {
          resolve('data');
        });
        client.on('end', () => {
          resolve('end');
        });
      });
      client.destroy();
      assert.match(outcome, /^error|^end$/);
      assert.notEqual(outcome, 'data');
    } finally {
      server.close();
    }
  });
});
