import { ConfigInvalidError } from '../errors/index.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `90s`, `30m`, `1h`, `500ms` (a bare number is seconds) into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m?.[1] === undefined)
    throw new ConfigInvalidError(
      'command line',
      flag,
      `${JSON.stringify(text)} is not a duration such as 90s, 30m or 1h`,
    );
  const ms = Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000));
  if (ms <= 0) throw new ConfigInvalidError('command line', flag, 'must be more than zero');
  return ms;
}
