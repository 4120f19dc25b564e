import { ErrorCode } from '../../shared/errors/index.js';

/** The class of a node failure whose report named no error code: some images did not verify. */
export const NOT_VERIFIED = 'NOT_VERIFIED';
/** The class of a node failure the run record gives no recognisable reason for. */
export const UNKNOWN_FAILURE = 'UNKNOWN';

// The run record's `problem` starts with the error's stable code when the node reported one
// (`RUNTIME_LOAD_FAILED: …`, see failureOf in upgrade/run-events.ts).
const CODE_PREFIX = /^([A-Z][A-Z0-9_]{1,63}): /;
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** The coordinator's own reasons for giving up on a node (upgrade/), in the order they are tried. */
const COORDINATOR_CLASSES: readonly (readonly [RegExp, string])[] = [
  [/references not verified/, NOT_VERIFIED],
  [/^no report within/, 'NO_REPORT'],
  [/^job not delivered|^agent refused the job|^the job's answer was refused/, 'JOB_NOT_ACCEPTED'],
  [/^its agent (stopped|went silent)/, 'AGENT_LOST'],
  [/^run interrupted/, 'RUN_INTERRUPTED'],
];

/**
 * The class a node failure is counted under: the error code the node reported, else the kind of the
 * coordinator's reason, else UNKNOWN. A closed set of values, so the metric's label stays bounded
 * whatever a message says.
 */
export function failureClass(problem: string | undefined): string {
  if (problem === undefined) return UNKNOWN_FAILURE;
  const code = CODE_PREFIX.exec(problem)?.[1];
  if (code !== undefined) return KNOWN_CODES.has(code) ? code : UNKNOWN_FAILURE;
  return COORDINATOR_CLASSES.find(([pattern]) => pattern.test(problem))?.[1] ?? UNKNOWN_FAILURE;
}
