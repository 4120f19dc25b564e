import { z } from 'zod';
import { parseMessage, WireMessageError } from '../control/decode.js';
import { SignatureInvalidError } from '../errors/index.js';
import type { SignaturePurpose, SigningKey, VerifyKey } from './signing-key.js';

/**
 * How every control message travels: the message as JSON text, and who signed that exact text. The
 * signature covers the bytes as sent, so no canonical JSON is needed and schema transforms on receipt
 * cannot change what was checked.
 */
const envelopeSchema = z.object({
  v: z.literal(1),
  body: z.string(),
  signer: z.string().optional(),
  sig: z.string().optional(),
});

/** Who signs what this process sends: a name and its key, or nobody (`--insecure`). */
export interface Sealer {
  readonly name: string;
  readonly key: SigningKey | undefined;
}

/** Wraps `message` for the bus, signed for `purpose` when the sealer has a key. */
export function seal(purpose: SignaturePurpose, message: unknown, sealer: Sealer): Uint8Array {
  const body = JSON.stringify(message);
  const envelope =
    sealer.key === undefined
      ? { v: 1, body }
      : { v: 1, body, signer: sealer.name, sig: sealer.key.sign(purpose, body) };
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * Which signers a receiver trusts: a lookup by signer name, or `insecure` to accept unsigned messages
 * (and signed ones unchecked) when the operator chose `--insecure`.
 */
export type TrustPolicy =
  | { readonly kind: 'insecure' }
  | { readonly kind: 'signed'; readonly keyFor: (signer: string) => VerifyKey | undefined };

/** An opened message: the parsed JSON and who signed it (undefined only under the insecure policy). */
export interface Opened {
  readonly message: unknown;
  readonly signer: string | undefined;
}

/**
 * Checks an envelope and returns its message. Throws WireMessageError for malformed bytes and
 * SignatureInvalidError for an unsigned message, an unknown signer or a bad signature.
 */
export function openEnvelope(
  purpose: SignaturePurpose,
  subject: string,
  data: Uint8Array,
  policy: TrustPolicy,
): Opened {
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    if (!parsed.success) throw new Error('not an airlift envelope');
    envelope = parsed.data;
  } catch {
    throw new WireMessageError(subject, 'not a signed airlift message (v1 envelope)');
  }
  if (policy.kind === 'signed') {
    if (envelope.signer === undefined || envelope.sig === undefined) {
      throw new SignatureInvalidError(subject, `the ${purpose} is not signed`);
    }
    const key = policy.keyFor(envelope.signer);
    if (key === undefined) {
      throw new SignatureInvalidError(
        subject,
        `the ${purpose} is signed by ${JSON.stringify(envelope.signer)}, whom this process does not trust`,
      );
    }
    if (!key.verify(purpose, envelope.body, envelope.sig)) {
      throw new SignatureInvalidError(
        subject,
        `the ${purpose}'s signature does not match ${envelope.signer}'s key ${key.id}`,
      );
    }
  }
  let message: unknown;
  try {
    message = JSON.parse(envelope.body);
  } catch {
    throw new WireMessageError(subject, 'body is not JSON');
  }
  return { message, signer: envelope.signer };
}

/** Opens an envelope and checks its message against `schema`: the typed message and its signer. */
export function openMessage<T>(
  schema: z.ZodType<T>,
  purpose: SignaturePurpose,
  subject: string,
  data: Uint8Array,
  policy: TrustPolicy,
): { message: T; signer: string | undefined } {
  const opened = openEnvelope(purpose, subject, data, policy);
  return { message: parseMessage(schema, subject, opened.message), signer: opened.signer };
}
