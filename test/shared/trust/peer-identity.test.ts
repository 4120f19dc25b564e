import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createFleetCa, issueCertificate } from '../../../coordinator/fleet-setup/pki.js';
import { describePeer, isPeer, peerIdentityOf } from '../../../shared/trust/peer-identity.js';

const sans = (subjectaltname: string) => ({ subjectaltname });

describe('peerIdentityOf', () => {
  it('reads the identity from the SAN URI of certificates the fleet CA issues', async () => {
    const ca = await createFleetCa('fleet-1');
    const agent = await issueCertificate(ca, { role: 'agent', name: 'node-1', hosts: ['10.0.0.8'] });
    const coordinator = await issueCertificate(ca, { role: 'coordinator', name: 'coordinator' });
    const server = await issueCertificate(ca, { role: 'server', name: 'nats', hosts: ['localhost'] });
    assert.deepEqual(peerIdentityOf(new X509Certificate(agent.certPem)), { role: 'agent', name: 'node-1' });
    assert.deepEqual(peerIdentityOf(new X509Certificate(coordinator.certPem)), {
      role: 'coordinator',
      name: 'coordinator',
    });
    assert.equal(peerIdentityOf(new X509Certificate(server.certPem)), undefined, 'no identity URI');
    assert.equal(peerIdentityOf(new X509Certificate(ca.certPem)), undefined, 'the CA is nobody');
  });

  it("reads node:tls's rendering, other SANs beside it, and nothing else", () => {
    assert.deepEqual(peerIdentityOf(sans('DNS:localhost, URI:airlift://agent/n1, IP Address:127.0.0.1')), {
      role: 'agent',
      name: 'n1',
    });
    assert.deepEqual(peerIdentityOf(sans('URI:"airlift://agent/n2"')), { role: 'agent', name: 'n2' });
    for (const text of [
      '',
      'DNS:airlift://agent/n1',
      'URI:https://agent/n1',
      'URI:airlift://agent/',
      'URI:airlift://agent/n 1',
      'URI:airlift://agent/a/b',
      'URI:airlift://agent/coordinator',
      'URI:airlift://coordinator/x',
      // Two identities in one certificate: which one is it? Neither.
      'URI:airlift://agent/n1, URI:airlift://coordinator',
      // A quoted value that hides a separator is one (malformed) name, not two.
      'URI:"airlift://agent/n1, URI:airlift://coordinator"',
      'URI:"airlift://agent/n1',
    ]) {
      assert.equal(peerIdentityOf(sans(text)), undefined, text);
    }
    assert.equal(peerIdentityOf(undefined), undefined);
    assert.equal(peerIdentityOf({}), undefined);
  });

  it('matches and describes identities by role as well as name', () => {
    const agent = { role: 'agent', name: 'node-1' } as const;
    const coordinator = { role: 'coordinator', name: 'coordinator' } as const;
    assert.equal(isPeer(agent, 'node-1'), true);
    assert.equal(isPeer(agent, 'node-2'), false);
    assert.equal(isPeer(coordinator, 'coordinator'), true);
    assert.equal(isPeer(agent, 'coordinator'), false);
    assert.equal(isPeer(undefined, 'node-1'), false);
    assert.equal(describePeer(agent), 'agent node-1');
    assert.equal(describePeer(coordinator), 'coordinator');
    assert.match(describePeer(undefined), /without an airlift identity/);
  });
});
