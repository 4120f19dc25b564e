// Child process for the crash-safety test: writes pieces 0..crashAt of a file into a piece store and
// dies by SIGKILL at crashAt, after the piece's bytes are fsynced and before the have log records it.
// Not a test file itself (no .test suffix); piece-store-resume.test.ts runs it with node.
import { readFile } from 'node:fs/promises';
import { pieceRange, type PieceManifest } from '../../../shared/pieces/index.js';
import { PieceStore } from '../../../agent/pieces/index.js';

/** What the parent test passes as the one argv argument (JSON). */
export interface CrashWriterArgs {
  readonly storeDir: string;
  readonly sourcePath: string;
  readonly manifest: PieceManifest;
  readonly crashAt: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as CrashWriterArgs;
  const bytes = await readFile(args.sourcePath);
  const store = await PieceStore.open(args.storeDir, args.manifest, {
    hooks: {
      afterDataSync: (index) => {
        if (index === args.crashAt) process.kill(process.pid, 'SIGKILL');
      },
    },
  });
  for (let i = 0; i <= args.crashAt; i++) {
    const { offset, length } = pieceRange(args.manifest, i);
    await store.write(i, bytes.subarray(offset, offset + length));
    // One piece per commit, so the kill lands between piece crashAt's fsync and its record.
    await store.flush();
  }
  // Reaching here means the kill did not happen; the parent sees a clean exit and fails.
  await store.close();
}

await main();
