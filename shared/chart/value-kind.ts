/** True for a YAML mapping as parsed to JS: a plain object, not a list, null or class instance. */
export function isValuesMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `a map`, `a list`, `a string`, … for error messages about what a YAML value turned out to be. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isValuesMap(value)) return 'a map';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
    case 'bigint':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return value instanceof Date ? 'a timestamp' : `a ${typeof value}`;
  }
}

/** Sets an own property even for `__proto__`, so copied YAML keys never reach an object's prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
