/** Stable error codes: scripts and tests match on these, never on message text. */
export const ErrorCode = {
  BundleNotFound: 'BUNDLE_NOT_FOUND',
  BundleMissingEntry: 'BUNDLE_MISSING_ENTRY',
  BundleUnsafeEntry: 'BUNDLE_UNSAFE_ENTRY',
  BundleTruncated: 'BUNDLE_TRUNCATED',
  BundleMalformed: 'BUNDLE_MALFORMED',
  ArchiveMalformed: 'ARCHIVE_MALFORMED',
  ArchiveMissingBlob: 'ARCHIVE_MISSING_BLOB',
  InvalidReference: 'INVALID_REFERENCE',
  TemplateError: 'TEMPLATE_ERROR',
  ConfigInvalid: 'CONFIG_INVALID',
  CommandFailed: 'COMMAND_FAILED',
  CommandTimedOut: 'COMMAND_TIMED_OUT',
  CommandNotFound: 'COMMAND_NOT_FOUND',
  RuntimeUnavailable: 'RUNTIME_UNAVAILABLE',
  RuntimeLoadFailed: 'RUNTIME_LOAD_FAILED',
  RuntimeTagFailed: 'RUNTIME_TAG_FAILED',
  ImageVerificationFailed: 'IMAGE_VERIFICATION_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
