import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** The chart's values could not be rewritten so that every hint renders to its retag target. */
export class ChartRelocateError extends AirliftError {
  readonly code = ErrorCode.ChartRelocateFailed;
  constructor(
    chart: string,
    problem: string,
    context: { file?: string; field?: string } = {},
    cause?: unknown,
  ) {
    super(`cannot relocate chart ${chart}: ${problem}`, { subject: chart, ...context }, { cause });
  }
}

/** Packaging or uploading a chart failed; names the repository and chart, never credentials. */
export class ChartPublishError extends AirliftError {
  readonly code = ErrorCode.ChartPublishFailed;
  constructor(repo: string, chart: string, problem: string, cause?: unknown) {
    super(`cannot publish chart ${chart} to ${repo}: ${problem}`, { subject: chart, file: repo }, { cause });
  }
}
