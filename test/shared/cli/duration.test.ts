import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../../shared/cli/index.js';
import { ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { assertAirliftError, thrownBy } from '../../helpers/airlift-error-assertions.js';

describe('parseDuration', () => {
  it('reads ms, s, m and h, and a bare number as seconds', () => {
    const cases: [string, number][] = [
      ['500ms', 500],
      ['90s', 90_000],
      ['30m', 1_800_000],
      ['1h', 3_600_000],
      ['45', 45_000],
      ['1.5s', 1500],
      ['0.5m', 30_000],
      ['2.25h', 8_100_000],
      [' 10s ', 10_000],
      ['1ms', 1],
      ['1.4ms', 1],
      ['007s', 7000],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text, '--timeout'), ms, text);
  });

  it('refuses anything else, naming the flag and the text', () => {
    for (const text of [
      '',
      ' ',
      'abc',
      's',
      '-5s',
      '+5s',
      '5 s',
      '5sec',
      '1d',
      '1e3',
      '.5s',
      '5.s',
      '1h30m',
      'Infinity',
      '0x10',
      '5S',
    ]) {
      const err = assertAirliftError(
        thrownBy(() => parseDuration(text, '--timeout')),
        ConfigInvalidError,
        ErrorCode.ConfigInvalid,
        ['--timeout', JSON.stringify(text), 'is not a duration such as 90s, 30m or 1h'],
      );
      assert.equal(err.context.field, '--timeout');
    }
  });

  it('refuses zero, naming the flag', () => {
    for (const text of ['0', '0s', '0ms', '0.0h']) {
      assertAirliftError(
        thrownBy(() => parseDuration(text, '--ack-timeout')),
        ConfigInvalidError,
        ErrorCode.ConfigInvalid,
        ['--ack-timeout', 'must be more than zero'],
      );
    }
  });

  it('refuses a duration that rounds to zero milliseconds', () => {
    assertAirliftError(
      thrownBy(() => parseDuration('0.4ms', '--timeout')),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      ['--timeout'],
    );
  });
});
