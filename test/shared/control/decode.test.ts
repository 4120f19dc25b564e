import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  WireMessageError,
  decodeMessage,
  encodeMessage,
  heartbeatSchema,
  jobAckSchema,
} from '../../../shared/control/index.js';
import { ErrorCode } from '../../../shared/errors/index.js';
import { assertAirliftError, thrownBy } from '../../helpers/airlift-error-assertions.js';
import { heartbeat } from './control-fixtures.js';

const SUBJECT = 'airlift.v1.job.node-a';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('decodeMessage', () => {
  it('round-trips what encodeMessage wrote', () => {
    const hb = heartbeat();
    assert.deepEqual(decodeMessage(heartbeatSchema, SUBJECT, encodeMessage(hb)), hb);
  });

  it('rejects bytes that are not JSON, naming the subject', () => {
    for (const text of ['', 'not json', '{"v":1', '\u0000\u0001']) {
      const err = assertAirliftError(
        thrownBy(() => decodeMessage(heartbeatSchema, SUBJECT, bytes(text))),
        WireMessageError,
        ErrorCode.WireMessageInvalid,
        [`message on ${SUBJECT} rejected: not JSON`],
      );
      assert.equal(err.context.subject, SUBJECT);
    }
  });

  it('names the root when the message is JSON but not an object', () => {
    for (const text of ['null', '42', '"text"', '[]']) {
      assertAirliftError(
        thrownBy(() => decodeMessage(jobAckSchema, SUBJECT, bytes(text))),
        WireMessageError,
        ErrorCode.WireMessageInvalid,
        ['field (root):'],
      );
    }
  });

  it('drops unknown fields rather than passing them on', () => {
    const decoded = decodeMessage(
      jobAckSchema,
      SUBJECT,
      encodeMessage({ v: 1, jobId: 'j', node: 'node-a', accepted: true, extra: 'x' }),
    );
    assert.deepEqual(decoded, { v: 1, jobId: 'j', node: 'node-a', accepted: true });
  });
});
