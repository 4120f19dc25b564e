// The executable is the build machine's node with airlift inside, so it needs on every node what that
// node binary needs. Official Node.js builds (nodejs.org, NodeSource) link only the C and C++ runtimes,
// present on any glibc Linux; distribution builds (Debian's own nodejs, for one) link libnode, libuv,
// OpenSSL and ICU as shared libraries, which a cluster node may not have. Such a build is refused.
import { basename } from 'node:path';
import type { CommandRunner } from '../../shared/exec/index.js';
import { sharedLibrariesOf } from '../image/index.js';

// The C runtime, the C++ runtime and the loader: part of every glibc system that can run Node.js.
const BASE_LIBRARY = /^(ld-linux[-\w.]*|lib(c|m|dl|pthread|rt|resolv|atomic|gcc_s|stdc\+\+))\.so(\.\d+)*$/;

/** Throws unless `node` links only the C and C++ runtimes; returns the libraries it does link. */
export async function assertPortableNode(node: string, runner: CommandRunner): Promise<string[]> {
  const libraries = (await sharedLibrariesOf(node, runner)).map((library) => basename(library.path));
  const extra = libraries.filter((name) => !BASE_LIBRARY.test(name));
  if (extra.length > 0) {
    throw new Error(
      `${node} links ${extra.join(', ')} as shared libraries: an executable made from it would need them on every node. ` +
        'Build the release with an official Node.js 20 build (nodejs.org or NodeSource), which links only libc and libstdc++',
    );
  }
  return libraries;
}
