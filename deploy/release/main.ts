// `npm run release`: builds dist/release/airlift-<version>-linux-<arch>.tar.gz, and the agent image
// archive and its bundle beside it, from the output of `npm run build`.
import { join } from 'node:path';
import { buildRelease, REPO_ROOT } from './build-release.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

try {
  const release = await buildRelease({ outDir: join(REPO_ROOT, 'dist/release') });
  const lines = [
    `wrote ${release.tarball}`,
    `  executable bin/airlift: ${mib(release.executableBytes)}; built in ${(release.durationMs / 1000).toFixed(1)} s`,
  ];
  if (release.agentImage !== undefined) {
    lines.push(
      `wrote ${release.agentImage.image} (${release.agentImage.reference})`,
      `wrote ${release.agentImage.bundle} (the image as a bundle, for airlift node load)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  process.stderr.write(`release: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
