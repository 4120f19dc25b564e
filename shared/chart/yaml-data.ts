import { parseDocument, type Document } from 'yaml';
import { ConfigInvalidError } from '../errors/index.js';

/** Parses one YAML document to plain data; a syntax error is a ConfigInvalidError naming line and column. */
export function parseYamlData(text: string, file: string, prepare?: (doc: Document) => void): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    const before = text.slice(0, syntax.pos[0]);
    const line = before.split('\n').length;
    const column = syntax.pos[0] - before.lastIndexOf('\n');
    throw new ConfigInvalidError(
      file,
      '',
      `YAML syntax error at line ${line}, column ${column}: ${syntax.message}`,
    );
  }
  prepare?.(doc);
  try {
    // The alias cap stops a "billion laughs" document from expanding without bound.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigInvalidError(file, '', `cannot be read as YAML: ${(err as Error).message}`, err);
  }
}
