#!/usr/bin/env bash
# ffmpeg.sh — provides the FFmpeg 7.1 libraries camgate links through cgo.
#
# Debian 12 ships FFmpeg 5.1, but go-astiav v0.39 needs 7.x, so this script builds
# FFmpeg 7.1 as static, PIC libraries from Debian 13's ("trixie") source package,
# fetched with apt's own `apt-get source` (apt verifies the signatures). The build
# is installed under a cache folder keyed by the FFmpeg version and a hash of the
# configure flags, so every run after the first one is instant.
#
# Usage:
#   scripts/ffmpeg.sh                    build (if needed); print PKG_CONFIG_PATH on stdout
#   scripts/ffmpeg.sh --programs         build the `ffmpeg` program from the same source and
#                                        flags, plus RTSP input and xstack (for the
#                                        side-by-side benchmarks); print its path on stdout
#   scripts/ffmpeg.sh --prefix           print the install prefix (build if needed)
#
# Environment:
#   CAMGATE_CACHE    cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/camgate)
#   FFMPEG_TARBALL   use this FFmpeg source tarball instead of downloading one
#   FFMPEG_SOURCE    auto (default): a system libav 7.x found by pkg-config, else build;
#                    system: require the system one; build: always use our own build
#   FFMPEG_JOBS      parallel make jobs (default: number of cores)
#
# Everything but the final answer goes to stderr, so callers can capture stdout.
set -euo pipefail

log() { printf '[ffmpeg.sh] %s\n' "$*" >&2; }
die() { printf '[ffmpeg.sh] error: %s\n' "$*" >&2; exit 1; }

mode=libs
case "${1:-}" in
  "" ) ;;
  --programs) mode=programs ;;
  --prefix) mode=prefix ;;
  -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option $1 (see --help)" ;;
esac

# FFmpeg major 7 is libavcodec major 61.
want_series=7.1
want_lavc_major=61
cache=${CAMGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camgate}
jobs=${FFMPEG_JOBS:-$(nproc 2>/dev/null || echo 2)}
source_kind=${FFMPEG_SOURCE:-auto}

# ---- configure flags ------------------------------------------------------------
# Only what camgate and its tests use: small, fast to build, nothing autodetected.
flags=(
  --enable-static --disable-shared --enable-pic
  --disable-programs --disable-doc --disable-debug
  --disable-autodetect --disable-everything --disable-network
  --enable-gpl --enable-libx264
  --enable-avcodec --enable-avformat --enable-avfilter --enable-avdevice
  --enable-swscale --enable-swresample
  --enable-decoder=h264,hevc,mjpeg,rawvideo,aac,pcm_mulaw,pcm_alaw,opus
  --enable-encoder=libx264,mjpeg,rawvideo
  --enable-parser=h264,hevc,mjpeg,aac,opus
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata,dump_extradata,h264_metadata,hevc_metadata,null
  --enable-demuxer=h264,hevc,mjpeg,rawvideo,mov,matroska,image2
  --enable-muxer=h264,hevc,mjpeg,rawvideo,image2,matroska,mp4,null
  --enable-protocol=file,pipe
  --enable-filter=buffer,buffersink,abuffer,abuffersink,null,anull,format,aformat,aresample,scale,fps,setpts,pad,crop,color,overlay,hstack,vstack,xstack,split,psnr,ssim,nullsink
)
if [[ $mode == programs ]]; then
  # The side-by-side benchmarks run the ffmpeg program against camgate's own RTSP
  # server, so this variant alone gets network code and the RTSP/RTP demuxers.
  flags+=(
    --enable-ffmpeg --enable-ffprobe --enable-network
    --enable-protocol=tcp,udp,rtp,file,pipe
    --enable-demuxer=rtsp,rtp,sdp
    --enable-muxer=rtsp,rtp
  )
fi

# pc_layout names how the installed .pc files are rewritten below; it is part of
# the cache key, so a cache written by an older version of this script (x264 as
# -lx264, the shared library) is not reused.
pc_layout=x264-static
flags_hash=$( (printf '%s\n' "${flags[@]}"; echo "$mode"; echo "$pc_layout") | sha256sum | cut -c1-12)

# ---- a system libav 7.x, if allowed -----------------------------------------------
pc_libs="libavcodec libavdevice libavfilter libavformat libswresample libswscale libavutil"
if [[ $mode == libs && $source_kind != build ]]; then
  if command -v pkg-config >/dev/null && pkg-config --exists $pc_libs 2>/dev/null; then
    lavc=$(pkg-config --modversion libavcodec)
    if [[ ${lavc%%.*} == "$want_lavc_major" ]]; then
      log "using the system libav (libavcodec $lavc) found by pkg-config"
      pkg-config --variable=pcfiledir libavcodec
      exit 0
    fi
    [[ $source_kind == system ]] && die "system libavcodec is $lavc; camgate needs FFmpeg 7.x (libavcodec $want_lavc_major.x)"
  elif [[ $source_kind == system ]]; then
    die "FFMPEG_SOURCE=system but pkg-config finds no libav ($pc_libs); install FFmpeg 7.x development files or unset FFMPEG_SOURCE"
  fi
fi

print_result() {
  local prefix=$1
  case $mode in
    libs) echo "$prefix/lib/pkgconfig" ;;
    prefix) echo "$prefix" ;;
    programs) echo "$prefix/bin/ffmpeg" ;;
  esac
}

# ---- warm cache: instant, no network ---------------------------------------------
shopt -s nullglob
for done_marker in "$cache"/ffmpeg-"$want_series"*-"$flags_hash"/.complete; do
  prefix=$(dirname "$done_marker")
  log "cached: $prefix"
  print_result "$prefix"
  exit 0
done
shopt -u nullglob

start=$SECONDS

# ---- prerequisites, through apt ---------------------------------------------------
[[ -r /etc/debian_version ]] && command -v apt-get >/dev/null ||
  die "this is not a Debian-like machine (no /etc/debian_version or apt-get). Install FFmpeg 7.1 development libraries yourself and run with FFMPEG_SOURCE=system, or pass FFMPEG_TARBALL= with gcc, make, nasm, pkg-config and libx264-dev installed."

"$(dirname "$0")/apt-install.sh" build-essential pkg-config nasm libx264-dev dpkg-dev xz-utils ca-certificates ||
  die "the build prerequisites could not be installed (see above)"

work=$(mktemp -d "${TMPDIR:-/tmp}/camgate-ffmpeg.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- source --------------------------------------------------------------------
if [[ -n ${FFMPEG_TARBALL:-} ]]; then
  [[ -r $FFMPEG_TARBALL ]] || die "FFMPEG_TARBALL=$FFMPEG_TARBALL is not a readable file"
  tarball=$FFMPEG_TARBALL
  log "using source tarball $tarball"
else
  # The mirror is the one this machine's own apt sources use for its main suite:
  # no host name is written in this repository.
  mirror=$("$(dirname "$0")/debian-mirror.sh") || die "no Debian mirror to fetch the source from (see above)"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -r $keyring ]] || die "missing $keyring: install debian-archive-keyring"

  aptdir=$work/apt
  mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$work/src"
  cat >"$aptdir/trixie.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: trixie
Components: main
Signed-By: $keyring
EOF
  aptopts=(
    -o "Dir::Etc::sourcelist=$aptdir/trixie.sources" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache::archives=$aptdir/archives"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Sandbox::User=root"
  )
  log "fetching the ffmpeg source package of Debian 13 (trixie) from $mirror"
  apt-get "${aptopts[@]}" update -qq >&2 ||
    die "apt-get update of the trixie deb-src entry failed: is Debian's package archive reachable?"
  (cd "$work/src" && apt-get "${aptopts[@]}" source --download-only -qq ffmpeg/trixie >&2) ||
    die "apt-get source ffmpeg/trixie failed"
  tarball=$(ls "$work"/src/ffmpeg_*.orig.tar.xz 2>/dev/null | head -1)
  [[ -n $tarball ]] || die "apt-get source fetched no ffmpeg_*.orig.tar.xz"
fi

log "unpacking $(basename "$tarball")"
mkdir -p "$work/build"
tar -xf "$tarball" -C "$work/build"
srcdir=$(find "$work/build" -mindepth 1 -maxdepth 1 -type d | head -1)
version=$(cat "$srcdir/VERSION" 2>/dev/null || basename "$srcdir" | sed 's/^ffmpeg-//')
[[ $version == "$want_series"* ]] || die "source is FFmpeg $version; camgate needs $want_series.x"

prefix=$cache/ffmpeg-$version-$flags_hash
rm -rf "$prefix"
mkdir -p "$prefix"

# ---- build -----------------------------------------------------------------------
log "configuring FFmpeg $version ($mode) into $prefix"
(cd "$srcdir" && ./configure --prefix="$prefix" "${flags[@]}" >"$work/configure.log" 2>&1) || {
  tail -30 "$work/configure.log" >&2
  tail -30 "$srcdir/ffbuild/config.log" >&2 || true
  die "configure failed (log above)"
}
log "compiling with $jobs jobs (about 1.5 minutes on 2 cores)"
(cd "$srcdir" && make -j"$jobs" >"$work/make.log" 2>&1 && make install >>"$work/make.log" 2>&1) || {
  tail -40 "$work/make.log" >&2
  die "make failed (log above)"
}

# cgo asks pkg-config without --static, so fold the private dependencies of the
# static libraries (x264, libm, pthread, and the libav libraries among themselves)
# into the public ones; pkg-config then also orders the archives for the linker.
for pc in "$prefix"/lib/pkgconfig/*.pc; do
  libs_priv=$(sed -n 's/^Libs\.private: *//p' "$pc")
  reqs_priv=$(sed -n 's/^Requires\.private: *//p' "$pc")
  [[ -n $libs_priv ]] && sed -i "s|^Libs: \(.*\)|Libs: \1 $libs_priv|" "$pc"
  if [[ -n $reqs_priv ]]; then
    if grep -q '^Requires: *[^ ]' "$pc"; then
      sed -i "s|^Requires: \(.*\)|Requires: \1, $reqs_priv|" "$pc"
    else
      sed -i -e '/^Requires:/d' -e "s|^Requires\.private:|Requires:|" "$pc"
    fi
  fi
  sed -i -e '/^Libs\.private:/d' -e '/^Requires\.private:/d' "$pc"
  # Link x264 from its static archive (libx264-dev ships libx264.a), so that a
  # camgate binary needs no x264 on the machine it runs on: with FFmpeg's own
  # libraries static too, it needs only the C library (see `make release`).
  sed -i 's/-lx264\b/-l:libx264.a/g' "$pc"
done
printf '%s\n' "${flags[@]}" >"$prefix/configure-flags.txt"
touch "$prefix/.complete"
log "FFmpeg $version installed in $prefix in $((SECONDS - start)) s"
print_result "$prefix"
