import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// Compiled tests run from dist/test/helpers; the repository root is three levels up either way.
/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The built CLI as package.json installs it: the bundle `npm run build` writes (deploy/build). */
export const AIRLIFT_BIN = join(REPO_ROOT, 'dist', 'airlift.mjs');

/** Non-TypeScript fixtures (stand-in executables…). */
export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'fixtures');
