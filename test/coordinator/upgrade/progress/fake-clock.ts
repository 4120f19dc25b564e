/** A clock tests move by hand: views read it, nothing waits on it. */
export interface FakeClock {
  readonly now: () => number;
  advance(ms: number): void;
}

/** Starts at 2026-12-07T03:00:00Z. */
export function fakeClock(start = Date.parse('2026-12-07T03:00:00.000Z')): FakeClock {
  let at = start;
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
    },
  };
}
