/** airlift's version, reported by the CLI and (later) in agent heartbeats. */
export const AIRLIFT_VERSION = '0.1.0';
