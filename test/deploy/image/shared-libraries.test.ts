import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLddOutput, sharedLibrariesOf } from '../../../deploy/image/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { hasErrorCode } from '../../../shared/errors/index.js';

const GLIBC_236 = `	linux-vdso.so.1 (0x00007ffd1b5f2000)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f3a1c3e1000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f3a1c000000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3a1be1e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f3a1c3fa000)`;

describe('parseLddOutput', () => {
  it('keeps every library at the path ldd names, and the loader; skips the vDSO', () => {
    assert.deepEqual(parseLddOutput(GLIBC_236, 'node'), [
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('reads the older `=>  (0x…)` vDSO form and arm64 loader names', () => {
    const text = `\tlinux-vdso.so.1 =>  (0x00007ffc)\n\tlibc.so.6 => /lib/aarch64-linux-gnu/libc.so.6 (0x0000ffff)\n\t/lib/ld-linux-aarch64.so.1 (0x0000ffff)`;
    assert.deepEqual(parseLddOutput(text, 'x'), [
      '/lib/aarch64-linux-gnu/libc.so.6',
      '/lib/ld-linux-aarch64.so.1',
    ]);
  });

  it('a static executable needs nothing', () => {
    assert.deepEqual(parseLddOutput('\tstatically linked', 'ctr'), []);
  });

  it('refuses a library ldd cannot find, naming it (CONFIG_INVALID)', () => {
    assert.throws(
      () => parseLddOutput(`${GLIBC_236}\n\tlibuv.so.1 => not found`, '/opt/airlift'),
      (err: unknown) => hasErrorCode(err, 'CONFIG_INVALID') && /libuv\.so\.1/.test((err as Error).message),
    );
  });
});

describe('sharedLibrariesOf (real ldd)', () => {
  it("finds this node's libraries and resolves each to a file", async () => {
    const libraries = await sharedLibrariesOf(process.execPath, new ExecaRunner());
    assert.ok(libraries.some((l) => /\/libc\.so\.6$/.test(l.path)));
    assert.ok(libraries.some((l) => /ld-linux/.test(l.path)));
    for (const library of libraries) assert.ok(library.source.startsWith('/'), library.source);
  });

  it('a file that is no executable at all is an error, not an empty list', async () => {
    await assert.rejects(sharedLibrariesOf('/etc/hostname', new ExecaRunner()), (err: unknown) =>
      hasErrorCode(err, 'CONFIG_INVALID'),
    );
  });
});
