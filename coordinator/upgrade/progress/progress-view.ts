import type { JobEvent } from '../../../shared/control/index.js';

/** Where the distribution shows what is happening, live; plain lines when not on a terminal. */
export interface ProgressView {
  /** A line about the run while the view is live (a notice about a node…). */
  step(line: string): void;
  /** An agent event for one node. */
  event(event: JobEvent): void;
  /** Ends live output before the summary. */
  close(): void;
}
