import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  durationText,
  parseDuration,
  parseRate,
  parseSize,
  sizeText,
  unitArg,
} from '../../../shared/cli/index.js';
import { ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { InvalidArgumentError } from 'commander';
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

describe('parseSize', () => {
  it('reads bytes, IEC binary and SI decimal units, in any letter case', () => {
    const cases: [string, number][] = [
      ['262144', 262_144],
      ['512B', 512],
      ['512KiB', 512 * 1024],
      ['4MiB', 4 * 1024 ** 2],
      ['4mib', 4 * 1024 ** 2],
      ['1GiB', 1024 ** 3],
      ['2TiB', 2 * 1024 ** 4],
      ['1KB', 1000],
      ['1.5MB', 1_500_000],
      ['1GB', 1e9],
      [' 16 KiB ', 16 * 1024],
    ];
    for (const [text, bytes] of cases) assert.equal(parseSize(text, '--piece-size'), bytes, text);
  });

  it('refuses other units, fractions of a byte and signs, naming the flag', () => {
    for (const text of ['', '4Mi', '4M', '4K', '1.5B', '-1MiB', 'MiB', '4 MiB/s', '1e3']) {
      assertAirliftError(
        thrownBy(() => parseSize(text, '--piece-size')),
        ConfigInvalidError,
        ErrorCode.ConfigInvalid,
        ['--piece-size', JSON.stringify(text), 'is not a size such as 4MiB'],
      );
    }
  });

  it('reads back what sizeText writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (bytes) => {
        assert.equal(parseSize(sizeText(bytes), '--x'), bytes);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.constantFrom('KiB', 'MiB', 'GiB'), (n, unit) => {
        assert.equal(sizeText(parseSize(`${n}${unit}`, '--x')).endsWith('B'), true);
      }),
    );
  });
});

describe('parseRate', () => {
  it('reads bytes and bits per second, with or without /s', () => {
    const cases: [string, number][] = [
      ['50MiB/s', 50 * 1024 ** 2],
      ['50MB/s', 50e6],
      ['50MB', 50e6],
      ['200Mbit/s', 25e6],
      ['1Gbit/s', 125e6],
      ['100kbit/s', 12_500],
      ['1000', 1000],
      ['10mib/s', 10 * 1024 ** 2],
    ];
    for (const [text, rate] of cases) assert.equal(parseRate(text, '--max-rate'), rate, text);
  });

  it('refuses zero and unknown units, naming the flag', () => {
    for (const text of ['0', '0MB/s', 'fast', '10Mb/s/s', '10 Mibit/s', '-1MB/s']) {
      assertAirliftError(
        thrownBy(() => parseRate(text, '--max-rate')),
        ConfigInvalidError,
        ErrorCode.ConfigInvalid,
        ['--max-rate', JSON.stringify(text), 'is not a rate such as 50MiB/s'],
      );
    }
  });
});

describe('durationText', () => {
  it('reads back as the same number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 24 * 3_600_000 }), (ms) => {
        assert.equal(parseDuration(durationText(ms), '--x'), ms);
      }),
    );
  });
});

describe('unitArg', () => {
  it("turns a parser's complaint into commander's usage error, without the flag it cannot know", () => {
    const err = thrownBy(() => unitArg(parseSize)('4Mi'));
    assert.ok(err instanceof InvalidArgumentError);
    assert.equal(err.message, '"4Mi" is not a size such as 4MiB, 512KiB or 1GB');
    assert.equal(unitArg(parseDuration)('90s'), 90_000);
  });
});
