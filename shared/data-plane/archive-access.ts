import { status as GrpcStatus } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { describePeer, peerIdentityOf, type PeerIdentity } from '../trust/peer-identity.js';
import type { ServeStats } from './serve-stats.js';

/**
 * Who may fetch an archive: `anyone` (plaintext data plane only, where nobody is authenticated), or
 * the agents named, by the identity in their client certificate.
 */
export type ArchiveAccess =
  { readonly kind: 'anyone' } | { readonly kind: 'nodes'; readonly names: ReadonlySet<string> };

/** What the gate needs of a server call (any kind of call has it). */
interface AuthenticatedCall {
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate } | null;
}

/** The peer behind a call, as far as this server can tell. */
export interface Caller {
  /** The certificate's identity (mutual TLS); undefined on a plaintext server. */
  readonly identity: PeerIdentity | undefined;
  /** What the stats and logs key the caller by: its identity's name, or the node it claims (plaintext). */
  readonly who: string;
  /** For refusal messages. */
  readonly label: string;
}

/** A refused call, for the caller: its gRPC status and a message naming who was refused and for what. */
export interface Refusal {
  readonly code: GrpcStatus;
  readonly details: string;
}

/**
 * Decides who may call: with mutual TLS the caller is the identity in its certificate and must match
 * the node its request names; on plaintext, it is whoever the request says (nothing is checked).
 * Every refusal is counted and logged.
 */
export class AccessGate {
  constructor(
    private readonly secure: boolean,
    private readonly stats: ServeStats,
    private readonly logger: Logger,
  ) {}

  /** Whether archives may be offered to `anyone`: only where nobody is authenticated. */
  get acceptsAnyone(): boolean {
    return !this.secure;
  }

  /**
   * The caller of `call`, or a refusal: a TLS peer without an airlift identity, or one whose request
   * names another node (`requestNode` undefined: the request names none, as Ping's need not).
   */
  admit(call: AuthenticatedCall, requestNode: string | undefined): Caller | Refusal {
    if (!this.secure) {
      const who = requestNode === undefined || requestNode === '' ? '(anonymous)' : requestNode;
      return { identity: undefined, who, label: who };
    }
    const identity = peerIdentityOf(call.getAuthContext()?.sslPeerCertificate);
    const label = describePeer(identity);
    if (identity === undefined) {
      return this.refuse(label, 'its certificate names no airlift identity', requestNode);
    }
    if (requestNode !== undefined && requestNode !== identity.name) {
      return this.refuse(
        label,
        `the request names node ${JSON.stringify(requestNode)}, not the certificate's identity`,
        requestNode,
      );
    }
    return { identity, who: identity.name, label };
  }

  /** undefined when `caller` may fetch `archiveId` under `access`; otherwise the refusal. */
  check(caller: Caller, archiveId: string, access: ArchiveAccess): Refusal | undefined {
    if (access.kind === 'anyone') return undefined;
    // On plaintext the claimed node is all there is; with TLS, only agents fetch (never the coordinator).
    const allowed = this.secure
      ? caller.identity?.role === 'agent' && access.names.has(caller.identity.name)
      : access.names.has(caller.who);
    if (allowed) return undefined;
    return this.refuse(caller.label, `it may not fetch archive ${archiveId} from this node`, caller.who);
  }

  private refuse(label: string, why: string, node: string | undefined): Refusal {
    this.stats.refused(label);
    this.logger.warn({ peer: label, node }, `call refused: ${why}`);
    return { code: GrpcStatus.PERMISSION_DENIED, details: `${label} refused: ${why}` };
  }
}

/** Whether `outcome` (of AccessGate.admit, or any check that may refuse) is a refusal. */
export function isRefusal(outcome: object): outcome is Refusal {
  return 'code' in outcome;
}
