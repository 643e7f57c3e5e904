#!/usr/bin/env bash
# with-libav.sh CMD ARGS… — runs CMD with PKG_CONFIG_PATH pointing at the FFmpeg
# 7.1 libraries of scripts/ffmpeg.sh (built on first use, cached afterwards), so
# that cgo builds go-astiav and camgate's transcode package against them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pc=$("$here/ffmpeg.sh")
export PKG_CONFIG_PATH="$pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export CGO_ENABLED=1
exec "$@"
