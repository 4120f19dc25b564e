import type { WriteMessage } from './write-api.js';

// containerd.services.content.v1.WriteContentRequest, field numbers as in write-api-schema.ts.
const ACTION = 1;
const REF = 2;
const TOTAL = 3;
const EXPECTED = 4;
const OFFSET = 5;
const DATA = 6;
const LABELS = 7;
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const ACTIONS = { STAT: 0, WRITE: 1, COMMIT: 2 } as const;

/** Bytes of gRPC's message prefix: a compressed flag and the message's length (uint32 big-endian). */
export const GRPC_PREFIX_BYTES = 5;

/**
 * One Write message as gRPC frames it: a small head (the gRPC prefix, every field but the data, and
 * the data field's tag and length), then the data itself, untouched. Protobuf takes fields in any
 * order, so the data can go last and travel as its own buffer: the blob's bytes are never copied
 * into a message (protobufjs and grpc-js copied every byte twice, into fresh buffers).
 */
export function encodeWriteRequest(message: WriteMessage): { head: Buffer; data: Buffer | undefined } {
  const fields = new FieldWriter();
  fields.varint(ACTION, ACTIONS[message.action]);
  if (message.ref !== undefined) fields.string(REF, message.ref);
  if (message.total !== undefined) fields.varint(TOTAL, message.total);
  if (message.expected !== undefined) fields.string(EXPECTED, message.expected);
  if (message.offset !== undefined) fields.varint(OFFSET, message.offset);
  for (const [key, value] of Object.entries(message.labels ?? {})) {
    const entry = new FieldWriter();
    entry.string(1, key);
    entry.string(2, value);
    fields.bytes(LABELS, entry.finish());
  }
  const data = message.data;
  if (data !== undefined) fields.lengthOnly(DATA, data.length);
  const body = fields.finish();
  const head = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + body.length);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(body.length + (data?.length ?? 0), 1);
  body.copy(head, GRPC_PREFIX_BYTES);
  return { head, data };
}

/** Protobuf fields, appended in order. */
class FieldWriter {
  private readonly parts: Buffer[] = [];

  varint(field: number, value: number): void {
    this.key(field, VARINT);
    this.raw(value);
  }

  string(field: number, value: string): void {
    this.bytes(field, Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Buffer): void {
    this.lengthOnly(field, value.length);
    this.parts.push(value);
  }

  /** The tag and length of a length-delimited field whose bytes follow elsewhere. */
  lengthOnly(field: number, length: number): void {
    this.key(field, LENGTH_DELIMITED);
    this.raw(length);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }

  private key(field: number, wireType: number): void {
    this.raw(field * 8 + wireType);
  }

  // Unsigned varint of a safe integer (offsets and sizes are below 2^53); division, not bit
  // operators, which would cut it to 32 bits.
  private raw(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`cannot encode ${value} as a protobuf varint`);
    }
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    bytes.push(rest);
    this.parts.push(Buffer.from(bytes));
  }
}
