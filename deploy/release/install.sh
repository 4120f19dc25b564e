#!/bin/sh
# Installs, upgrades or removes airlift from this release directory. No network.
#
#   install.sh install   [--prefix DIR] [--role agent|coordinator] [--dry-run]
#   install.sh upgrade   [--prefix DIR] [--dry-run]
#   install.sh uninstall [--prefix DIR] [--purge] [--dry-run]
#
# --prefix DIR  the root to install under (default /): the executable goes to DIR/usr/local/bin/airlift,
#               units to DIR/etc/systemd/system, configuration in DIR/etc/airlift (mode 0700). With a
#               prefix other than /, systemctl is never called: the commands to run are printed.
# --role        agent (default: the airlift-agent unit) or coordinator (airlift-nats, airlift-serve).
# --dry-run     print every action, do none of them.
# Every command can run again: install over an install, upgrade without a change, uninstall of nothing.
set -eu

AIRLIFT_VERSION='@AIRLIFT_VERSION@'
AIRLIFT_ARCH='@AIRLIFT_ARCH@'
ALL_UNITS='airlift-agent.service airlift-nats.service airlift-serve.service'

here=$(cd "$(dirname "$0")" && pwd)
prefix=/
role=agent
dry_run=no
purge=no

die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '4,6p' "$0" | sed 's/^# *//' >&2
  exit 2
}

# Prints the action, then does it unless --dry-run.
run() {
  if [ "$dry_run" = yes ]; then
    printf 'would run: %s\n' "$*"
  else
    printf '+ %s\n' "$*"
    "$@"
  fi
}

# systemctl only on the real root, and only where systemd runs; otherwise say what to run.
can_systemctl() {
  [ "$prefix" = / ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]
}

systemctl_or_hint() {
  if can_systemctl; then
    run systemctl "$@"
  else
    printf 'then run: systemctl %s\n' "$*"
  fi
}

units_for_role() {
  case "$1" in
    agent) echo 'airlift-agent.service' ;;
    coordinator) echo 'airlift-nats.service airlift-serve.service' ;;
    *) die "unknown --role '$1': use agent or coordinator" ;;
  esac
}

check_release() {
  [ -f "$here/bin/airlift" ] || die "$here/bin/airlift is missing: run install.sh from the extracted release"
  machine=$(uname -m)
  case "$machine" in
    x86_64 | amd64) machine=amd64 ;;
    aarch64 | arm64) machine=arm64 ;;
  esac
  [ "$machine" = "$AIRLIFT_ARCH" ] || die "this release is for linux-$AIRLIFT_ARCH, this machine is $machine: use the $machine release"
  if command -v sha256sum >/dev/null 2>&1; then
    (cd "$here" && sha256sum -c --quiet --strict SHA256SUMS) ||
      die "files in $here do not match SHA256SUMS: copy the release again"
  fi
}

# Copies the executable beside its destination, then renames it over: a running agent keeps its old
# file, and no reader ever sees half a binary.
install_binary() {
  run mkdir -p "$bin_dir"
  run cp "$here/bin/airlift" "$bin_dir/.airlift.new"
  run chmod 0755 "$bin_dir/.airlift.new"
  run mv -f "$bin_dir/.airlift.new" "$bin_dir/airlift"
}

install_unit() {
  run mkdir -p "$unit_dir"
  run cp "$here/systemd/$1" "$unit_dir/.$1.new"
  run chmod 0644 "$unit_dir/.$1.new"
  run mv -f "$unit_dir/.$1.new" "$unit_dir/$1"
}

install_share() {
  run mkdir -p "$share_dir"
  run cp -R "$here/examples" "$here/README.md" "$share_dir/"
  if [ -d "$here/kubernetes" ]; then run cp -R "$here/kubernetes" "$share_dir/"; fi
}

cmd_install() {
  units=$(units_for_role "$role")
  check_release
  install_binary
  run mkdir -p "$config_dir"
  run chmod 0700 "$config_dir"
  for unit in $units; do install_unit "$unit"; done
  install_share
  systemctl_or_hint daemon-reload
  printf 'installed airlift %s (%s) under %s\n' "$AIRLIFT_VERSION" "$role" "$prefix"
  if [ "$role" = agent ]; then
    echo "next: put this node's identity at /etc/airlift/agent.json (mode 0600), then: systemctl enable --now airlift-agent"
  else
    echo 'next: airlift fleet init --dir /etc/airlift/fleet ..., then: systemctl enable --now airlift-nats airlift-serve'
  fi
}

installed_units() {
  for unit in $ALL_UNITS; do
    if [ -f "$unit_dir/$unit" ]; then echo "$unit"; fi
  done
}

cmd_upgrade() {
  [ -f "$bin_dir/airlift" ] || die "airlift is not installed under $prefix: use install.sh install"
  check_release
  install_binary
  units=$(installed_units)
  for unit in $units; do install_unit "$unit"; done
  install_share
  if can_systemctl; then
    run systemctl daemon-reload
    for unit in $units; do
      # Only what runs now restarts: an enabled-but-stopped unit stays as the operator left it.
      if systemctl is-active --quiet "$unit"; then run systemctl restart "$unit"; fi
    done
  else
    for unit in $units; do printf 'then run: systemctl try-restart %s\n' "$unit"; done
  fi
  printf 'upgraded airlift under %s to %s; configuration in %s kept\n' "$prefix" "$AIRLIFT_VERSION" "$config_dir"
}

cmd_uninstall() {
  units=$(installed_units)
  for unit in $units; do
    if can_systemctl; then
      run systemctl disable --now "$unit" || true
    else
      printf 'then run: systemctl disable --now %s\n' "$unit"
    fi
    run rm -f "$unit_dir/$unit"
  done
  if [ -n "$units" ]; then systemctl_or_hint daemon-reload; fi
  run rm -f "$bin_dir/airlift" "$bin_dir/.airlift.new"
  run rm -rf "$share_dir"
  if [ "$purge" = yes ]; then
    # Identities, the fleet CA and the agent's spool: what makes this host a member of the fleet.
    run rm -rf "$config_dir" "$state_dir"
  elif [ -d "$config_dir" ]; then
    printf 'kept %s (identities, fleet keys): uninstall --purge removes it\n' "$config_dir"
  fi
  printf 'uninstalled airlift from %s\n' "$prefix"
}

[ $# -ge 1 ] || usage
command=$1
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      [ $# -ge 2 ] || die '--prefix needs a directory'
      prefix=$2
      shift 2
      ;;
    --prefix=*)
      prefix=${1#--prefix=}
      shift
      ;;
    --role)
      [ $# -ge 2 ] || die '--role needs agent or coordinator'
      role=$2
      shift 2
      ;;
    --role=*)
      role=${1#--role=}
      shift
      ;;
    --dry-run)
      dry_run=yes
      shift
      ;;
    --purge)
      purge=yes
      shift
      ;;
    -h | --help) usage ;;
    *) die "unknown option '$1' (see install.sh --help)" ;;
  esac
done

case "$prefix" in
  /*) ;;
  *) prefix=$(pwd)/$prefix ;;
esac
# Paths under the prefix, without a double slash when it is /.
root=${prefix%/}
bin_dir=$root/usr/local/bin
unit_dir=$root/etc/systemd/system
config_dir=$root/etc/airlift
state_dir=$root/var/lib/airlift
share_dir=$root/usr/local/share/airlift

if [ "$prefix" = / ] && [ "$dry_run" = no ] && [ "$(id -u)" != 0 ]; then
  die "installing under / needs root: run it with sudo, or use --prefix DIR"
fi

case "$command" in
  install) cmd_install ;;
  upgrade) cmd_upgrade ;;
  uninstall) cmd_uninstall ;;
  -h | --help | help) usage ;;
  *) die "unknown command '$command': use install, upgrade or uninstall" ;;
esac
