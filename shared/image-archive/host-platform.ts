/** An OCI platform: what `ctr import` and `docker load` select from multi-platform content. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
}

// Node's process.arch names → Go's GOARCH names, which image configs and OCI indexes use.
const GO_ARCH: Partial<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** This machine's platform, as runtimes on it import by default. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: GO_ARCH[process.arch] ?? process.arch };
}
