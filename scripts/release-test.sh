#!/usr/bin/env bash
# release-test.sh [BINARY] — checks the release binary (default
# dist/camgate-linux-amd64, made by `make release`):
#
#   1. ldd and readelf name nothing beyond the C library (libc, libm, libpthread,
#      libdl, librt, the dynamic loader); the binary is stripped; `camgate
#      version` is stamped and prints the GPL statement and the configure flags;
#   2. it runs the demo in a clean Debian root of this machine's release
#      (debootstrap --variant=minbase, no FFmpeg, no x264), with nothing but the
#      binary copied in, and the host's ffprobe reads its sub stream as H.264
#      640x360; `camgate health` answers inside that root; SIGTERM ends it with
#      exit status 0.
#
# The root is made once and cached as a tarball under
# ${CAMGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camgate}; each run unpacks a
# fresh copy. The mirror comes from this machine's apt sources
# (scripts/debian-mirror.sh). Needs root (debootstrap, chroot, mount).
#
# Environment: RELEASE_TEST_RTSP (default 127.0.0.1:18554) and RELEASE_TEST_API
# (default 127.0.0.1:19997), the listen addresses of the camgate under test, off
# the default ports so that a running camgate does not get in the way.
set -euo pipefail

log() { printf '[release-test] %s\n' "$*" >&2; }
die() { printf '[release-test] FAIL: %s\n' "$*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-dist/camgate-linux-amd64}
rtsp_addr=${RELEASE_TEST_RTSP:-127.0.0.1:18554}
api_addr=${RELEASE_TEST_API:-127.0.0.1:19997}
cache=${CAMGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camgate}
start=$SECONDS

[[ -x $bin ]] || die "$bin does not exist or is not executable: run \`make release\` first"
[[ $(id -u) == 0 ]] || die "needs root for debootstrap, chroot and mount: run it as root (sudo make release-test)"

# ---- prerequisites, through apt -------------------------------------------------
"$here/apt-install.sh" debootstrap ffmpeg jq binutils libc-bin || die "prerequisites missing (see above)"

# ---- 1. the file itself -----------------------------------------------------------
# Every shared object glibc itself is made of; anything else means a library
# that the target machine would have to provide.
libc_parts='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|(/[^ ]*/)?ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$'
ldd_out=$(ldd "$bin" 2>&1) || true
log "ldd $bin:"
sed 's/^/    /' <<<"$ldd_out" >&2
if ! grep -q "statically linked" <<<"$ldd_out"; then
  extra=$(awk '{print $1}' <<<"$ldd_out" | grep -Ev "$libc_parts" || true)
  [[ -z $extra ]] || die "ldd lists libraries beyond the C library: $(echo $extra)"
fi
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
extra=$(grep -Ev "$libc_parts" <<<"$needed" || true)
[[ -z $extra ]] || die "readelf -d: NEEDED beyond the C library: $(echo $extra)"
if readelf -S "$bin" | grep -q '\.symtab'; then die "$bin is not stripped (has .symtab)"; fi

ver=$("$bin" version) || die "$bin version failed"
log "$bin version:"
sed 's/^/    /' <<<"$ver" >&2
for want in "GPL" "MIT" "commit " "configure " "--enable-libx264" "FFmpeg 7.1" "x264    build"; do
  grep -qF -- "$want" <<<"$ver" || die "\`camgate version\` lacks \"$want\""
done
if grep -q '^camgate dev ' <<<"$ver"; then die "the binary is not version stamped (camgate dev)"; fi
log "size: $(stat -c %s "$bin") bytes"

# ---- 2. a clean Debian root ---------------------------------------------------------
# The same release as this machine: the binary needs a glibc at least as new as
# the one it was built against.
. /etc/os-release
codename=${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}
arch=$(dpkg --print-architecture)
root_tar=$cache/root-debian-$codename-minbase-$arch.tar.gz
if [[ ! -s $root_tar ]]; then
  mirror=$("$here/debian-mirror.sh") || die "no Debian mirror for debootstrap (see above)"
  log "making a clean Debian $codename root with debootstrap from $mirror (once; cached as $root_tar)"
  mkdir -p "$cache"
  boot=$(mktemp -d /var/tmp/camgate-debootstrap.XXXXXX)
  t0=$SECONDS
  if ! timeout 30m debootstrap --variant=minbase "$codename" "$boot" "$mirror" >"$boot.log" 2>&1; then
    tail -20 "$boot.log" >&2
    rm -rf --one-file-system "$boot" "$boot.log"
    die "debootstrap $codename failed (log above)"
  fi
  tar -C "$boot" --numeric-owner -czf "$root_tar.$$.partial" . && mv "$root_tar.$$.partial" "$root_tar"
  rm -rf --one-file-system "$boot" "$boot.log"
  log "root made in $((SECONDS - t0)) s"
fi

root=$(mktemp -d /var/tmp/camgate-release-root.XXXXXX)
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if mountpoint -q "$root/proc"; then umount "$root/proc" || umount -l "$root/proc" || true; fi
  # --one-file-system: never follow a mount that failed to go away.
  mountpoint -q "$root/proc" || rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" --numeric-owner -xzf "$root_tar"

found=$(find "$root" -xdev \( -name 'libavcodec*' -o -name 'libavformat*' -o -name 'libavutil*' \
  -o -name 'libswscale*' -o -name 'libx264*' -o -name ffmpeg -o -name ffprobe \) -print)
[[ -z $found ]] || die "the clean root is not clean, it has: $(echo $found)"

install -m 0755 "$bin" "$root/usr/local/bin/camgate"
mount -t proc proc "$root/proc"
# debootstrap makes the few device nodes a program needs; make sure of them.
for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
  IFS=: read -r name major minor <<<"$n"
  [[ -e $root/dev/$name ]] || mknod -m 666 "$root/dev/$name" c "$major" "$minor"
done

# A clean environment, as a service would have: no CAMGATE_* of the caller.
# WebRTC and HLS on ephemeral ports (the ICE ports follow): the URLs are
# read back from what camgate prints.
log "running the demo in the clean root: camgate run -rtsp $rtsp_addr -api $api_addr -webrtc 127.0.0.1:0 -hls 127.0.0.1:0"
env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root \
  "$(command -v chroot)" "$root" /usr/local/bin/camgate run -rtsp "$rtsp_addr" -api "$api_addr" \
  -webrtc 127.0.0.1:0 -hls 127.0.0.1:0 >"$root.log" 2>&1 &
pid=$!
trap 'cleanup; rm -f "$root.log" "$root.probe"' EXIT

url=rtsp://${rtsp_addr/#:/127.0.0.1:}/demo/sub
# Wait for ffprobe in the background, so that a camgate that dies early is
# noticed at once rather than at the deadline.
"$here/probe-sub.sh" "$url" 60 >"$root.probe" &
probe_pid=$!
while kill -0 "$probe_pid" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || { kill "$probe_pid" 2>/dev/null || true; tail -20 "$root.log" >&2; die "camgate exited early (log above)"; }
  sleep 0.5
done
wait "$probe_pid" || { tail -20 "$root.log" >&2; die "ffprobe could not read $url within 60 s (camgate log above)"; }
got=$(cat "$root.probe")
log "ffprobe $url: $got"
[[ $got == "h264 640x360" ]] || die "sub stream is $got, want h264 640x360"

# The same sub over LL-HLS, from the release binary.
hls_url=$(grep -o 'http://[^ ]*/demo/sub/index.m3u8' "$root.log" | head -1)
[[ -n $hls_url ]] || { tail -20 "$root.log" >&2; die "camgate printed no HLS URL of demo/sub"; }
"$here/probe-sub.sh" "$hls_url" 60 >"$root.probe" || die "ffprobe could not read $hls_url within 60 s"
got=$(head -1 "$root.probe")
log "ffprobe $hls_url: $got"
[[ $got == "h264 640x360" ]] || die "sub over HLS is $got, want h264 640x360"

chroot "$root" /usr/local/bin/camgate health -api "$api_addr" >/dev/null ||
  die "camgate health inside the root did not answer on $api_addr"

kill -TERM "$pid"
status=""
for _ in $(seq 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && status=0 || status=$?
    break
  fi
  sleep 0.1
done
[[ -n $status ]] || die "camgate did not exit within 10 s of SIGTERM"
pid=""
[[ $status == 0 ]] || { tail -20 "$root.log" >&2; die "camgate exited with status $status after SIGTERM"; }

log "PASS in $((SECONDS - start)) s: only the C library is linked, and the demo runs in a clean Debian $codename root"
