import type { Logger } from 'pino';

// For each logger made here, the same logger without its `component`: pino writes every binding of
// every ancestor, so a nested component must be bound on the unscoped parent, not on top of the outer one.
const unscoped = new WeakMap<Logger, Logger>();

/**
 * A child logger for `component`, binding only the keys whose value the parent does not already carry:
 * each key appears once per line, and the innermost component replaces the outer one.
 */
export function componentLogger(
  parent: Logger,
  component: string,
  bindings: Readonly<Record<string, unknown>> = {},
): Logger {
  const base = unscoped.get(parent) ?? parent;
  const bound = base.bindings();
  const fresh = Object.fromEntries(Object.entries(bindings).filter(([key, value]) => bound[key] !== value));
  const scopedBase = Object.keys(fresh).length === 0 ? base : base.child(fresh);
  const logger = scopedBase.child({ component });
  unscoped.set(logger, scopedBase);
  return logger;
}
