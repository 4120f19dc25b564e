#!/usr/bin/env bash
# Installs what airlift's tests and demo need on a Debian machine: the real daemons the integration
# tests start in temp dirs, and the npm dependencies. Idempotent and silent when everything is there.
#
# It never starts a system service on purpose: tests run their own daemons on their own sockets and
# never touch the system ones (/run/containerd, /var/run/docker.sock).
set -euo pipefail

cd "$(dirname "$0")/../.."

# Non-login root shells sometimes lack the sbin dirs, where dockerd, runc and ip live.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

commands=(nats-server dockerd containerd ctr runc docker-registry skopeo ip chromium)
packages=(nats-server docker.io containerd runc docker-registry skopeo iproute2 chromium)

missing=()
for cmd in "${commands[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-prereqs: missing ${missing[*]}; installing them needs root: sudo bash $0" >&2
    exit 1
  fi
  echo "install-prereqs: missing ${missing[*]}; installing ${packages[*]}" >&2

  # Debian's invoke-rc.d asks policy-rc.d whether a maintainer script may start a service; 101 means
  # no. Only add one for the duration of the install, and only when the machine has none of its own.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi

  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"

  still_missing=()
  for cmd in "${commands[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || still_missing+=("$cmd")
  done
  if [ "${#still_missing[@]}" -gt 0 ]; then
    echo "install-prereqs: still missing after apt-get install: ${still_missing[*]}" >&2
    exit 1
  fi
fi

# npm writes node_modules/.package-lock.json on every install; its mtime says when the tree was last
# made. The node_modules dir's own mtime is not enough: npm can create it a moment before it writes
# package-lock.json, which would make a fresh tree look stale.
stamp=node_modules/.package-lock.json
[ -e "$stamp" ] || stamp=node_modules
if [ ! -d node_modules ] || [ package-lock.json -nt "$stamp" ]; then
  echo "install-prereqs: node_modules missing or older than package-lock.json; running npm ci" >&2
  npm ci --no-audit --no-fund
fi
