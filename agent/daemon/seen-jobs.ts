import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';

const FILE = 'seen-jobs.json';

/**
 * The job ids this agent accepted within the replay window, kept on disk so a restarted agent still
 * refuses a replay of a job it ran before the restart. Ids older than the window are forgotten: the
 * freshness check refuses those jobs anyway.
 */
export class SeenJobs {
  private constructor(
    private readonly path: string,
    private readonly seen: Map<string, number>,
    private readonly logger: Logger,
  ) {}

  /** Loads the ids recorded under `dir`; a missing or unreadable file starts empty (and says so). */
  static async open(dir: string, logger: Logger): Promise<SeenJobs> {
    const path = join(dir, FILE);
    const seen = new Map<string, number>();
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [id, at] of Object.entries(parsed)) if (typeof at === 'number') seen.set(id, at);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn(
          { path, err: (err as Error).message },
          'accepted-job record unreadable; starting a new one',
        );
      }
    }
    return new SeenJobs(path, seen, logger);
  }

  /** True when `jobId` was accepted before. */
  has(jobId: string): boolean {
    return this.seen.has(jobId);
  }

  /** Records `jobId` (issued at `issuedMs`), forgets ids issued before `forgetBeforeMs`, and persists. */
  async add(jobId: string, issuedMs: number, forgetBeforeMs: number): Promise<void> {
    for (const [id, at] of this.seen) if (at < forgetBeforeMs) this.seen.delete(id);
    this.seen.set(jobId, issuedMs);
    const temp = `${this.path}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFile(temp, JSON.stringify(Object.fromEntries(this.seen)), { mode: 0o600 });
      await rename(temp, this.path);
    } catch (err) {
      // The id stays refused in memory; only a restart within the window could then replay it.
      this.logger.error({ path: this.path, err: (err as Error).message }, 'accepted-job record not saved');
    }
  }
}
