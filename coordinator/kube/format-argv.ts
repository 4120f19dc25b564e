const PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** An argv as a copy-pasteable shell line, for messages and progress output only (never executed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (PLAIN.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}
