import { AirliftError, InvalidReferenceError } from '../errors/index.js';
import { formatReference, parseReference } from '../reference/index.js';

/** Normalises the references an archive names, rethrowing parse errors with the archive and entry attached. */
export function normaliseArchiveReferences(raw: readonly string[], file: string, entry: string): string[] {
  return raw.map((reference) => {
    try {
      return formatReference(parseReference(reference));
    } catch (err) {
      if (err instanceof AirliftError) {
        throw new InvalidReferenceError(reference, `${stripPrefix(err.message)} (in ${entry})`, {
          file,
          entry,
        });
      }
      throw err;
    }
  });
}

function stripPrefix(message: string): string {
  return message.replace(/^invalid image reference "[^"]*": /, '');
}
