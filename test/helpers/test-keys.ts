import { SigningKey, type TrustContext } from '../../shared/trust/index.js';

/** Throwaway signing keys for a coordinator and its nodes, and the trust contexts each side uses. */
export class TestKeys {
  readonly coordinator = SigningKey.generate();
  private readonly nodes = new Map<string, SigningKey>();

  /** The node's key, made on first use. */
  node(name: string): SigningKey {
    let key = this.nodes.get(name);
    if (key === undefined) {
      key = SigningKey.generate();
      this.nodes.set(name, key);
    }
    return key;
  }

  /** The coordinator's side: signs as `coordinator`, trusts every node key made so far or later. */
  coordinatorTrust(): TrustContext {
    return {
      sealer: { name: 'coordinator', key: this.coordinator },
      policy: { kind: 'signed', keyFor: (signer) => this.nodes.get(signer)?.verifyKey },
      insecure: false,
    };
  }

  /** Node `name`'s side: signs as itself, trusts only the coordinator's key. */
  agentTrust(name: string): TrustContext {
    return {
      sealer: { name, key: this.node(name) },
      policy: {
        kind: 'signed',
        keyFor: (signer) => (signer === 'coordinator' ? this.coordinator.verifyKey : undefined),
      },
      insecure: false,
    };
  }
}
