import { InvalidArgumentError, Option } from 'commander';
import { ConfigInvalidError } from '../errors/index.js';

/**
 * The one parser for the quantities flags and config keys take: sizes (`4MiB`, `512KiB`, `1GB`),
 * rates (`50MiB/s`, `200Mbit/s`) and durations (`500ms`, `90s`, `30m`, `1h`). Unit names are
 * case-insensitive for sizes and rates (`mib` = `MiB`); bits are always spelled `bit`.
 */

/** Bytes per size unit: IEC binary (KiB…TiB) and SI decimal (KB…TB); none or `B` is bytes. */
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** Bytes per second per bit-rate unit. */
const BIT_UNITS: Readonly<Record<string, number>> = {
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
};

/** Milliseconds per duration unit; a bare number is seconds. */
export const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const SIZE = new RegExp(String.raw`^${NUMBER}\s*([a-z]*)$`, 'i');
const RATE = new RegExp(String.raw`^${NUMBER}\s*([a-z]*)(?:/s)?$`, 'i');
const DURATION = new RegExp(String.raw`^${NUMBER}(ms|s|m|h)?$`);

/** What is wrong with a value: the text the error messages share. */
export const UNIT_PROBLEMS = {
  size: (text: string) => `${JSON.stringify(text)} is not a size such as 4MiB, 512KiB or 1GB`,
  rate: (text: string) => `${JSON.stringify(text)} is not a rate such as 50MiB/s, 50MB/s or 200Mbit/s`,
  duration: (text: string) => `${JSON.stringify(text)} is not a duration such as 90s, 30m or 1h`,
} as const;

/** A whole number of bytes for `4MiB`, `512KiB`, `1GB`, `262144`; undefined if it is none. */
export function sizeBytes(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  const factor = SIZE_UNITS[(m?.[2] ?? '?').toLowerCase()];
  if (m?.[1] === undefined || factor === undefined) return undefined;
  const bytes = Number(m[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes per second for `50MiB/s`, `50MB/s`, `200Mbit/s` (the `/s` may be left off); undefined if none or zero. */
export function rateBytesPerSecond(text: string): number | undefined {
  const m = RATE.exec(text.trim());
  const unit = (m?.[2] ?? '?').toLowerCase();
  const factor = SIZE_UNITS[unit] ?? BIT_UNITS[unit];
  if (m?.[1] === undefined || factor === undefined) return undefined;
  const rate = Number(m[1]) * factor;
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

/** Milliseconds for `500ms`, `90s`, `30m`, `1h` or a bare number of seconds; undefined if none. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m?.[1] === undefined) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000));
}

/** A size in bytes, as the largest unit that states it exactly (`4MiB`, `1000B`…). */
export function sizeText(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
    const factor = SIZE_UNITS[unit.toLowerCase()] ?? 1;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

/** A duration in milliseconds, as the largest unit that states it exactly (`90s`, `30m`, `1h`, `250ms`). */
export function durationText(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const factor = DURATION_UNITS[unit] ?? 1;
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}

/** `--timeout` and the like: milliseconds, more than zero; ConfigInvalidError naming `flag` otherwise. */
export function parseDuration(text: string, flag: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new ConfigInvalidError('command line', flag, UNIT_PROBLEMS.duration(text));
  if (ms <= 0) throw new ConfigInvalidError('command line', flag, 'must be more than zero');
  return ms;
}

/** `--piece-size` and the like: a whole number of bytes; ConfigInvalidError naming `flag` otherwise. */
export function parseSize(text: string, flag: string): number {
  const bytes = sizeBytes(text);
  if (bytes === undefined) throw new ConfigInvalidError('command line', flag, UNIT_PROBLEMS.size(text));
  return bytes;
}

/** `--max-rate` and the like: bytes per second, more than zero; ConfigInvalidError naming `flag` otherwise. */
export function parseRate(text: string, flag: string): number {
  const rate = rateBytesPerSecond(text);
  if (rate === undefined) throw new ConfigInvalidError('command line', flag, UNIT_PROBLEMS.rate(text));
  return rate;
}

/**
 * A commander argParser that checks a value with `parse` and hands on the value `parse` returns. The
 * command line, AIRLIFT_* environment and config file all pass through it, so each is checked the same
 * way; its complaint is a usage error there (commander names the flag or variable, the config loader
 * the file and key).
 */
export function unitArg<T>(parse: (text: string, flag: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text, '');
    } catch (err) {
      if (!(err instanceof ConfigInvalidError)) throw err;
      throw new InvalidArgumentError(err.message.replace(/^command line: (--[\w-]+: )?/, ''));
    }
  };
}

/** An argParser that checks a duration but keeps the text (for actions that parse it themselves). */
export const durationTextArg = unitArg((text, flag) => (parseDuration(text, flag), text));

/** A duration flag whose action gets milliseconds; `fallback` is the default, shown as written. */
export function durationOption(flags: string, description: string, fallback?: string): Option {
  const option = new Option(flags, description).argParser(unitArg(parseDuration));
  return fallback === undefined ? option : option.default(parseDuration(fallback, flags), fallback);
}
