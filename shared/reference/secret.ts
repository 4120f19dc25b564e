import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/** A credential that prints, serialises and inspects as `[redacted]`; only `reveal()` gives the value. */
export class Secret {
  // A private field: not enumerable, not copied by spread or JSON, not shown by util.inspect.
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value, for the one call that sends it to a registry. */
  reveal(): string {
    return this.#value;
  }

  /** True when no value was given (an empty password). */
  get isEmpty(): boolean {
    return this.#value === '';
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
