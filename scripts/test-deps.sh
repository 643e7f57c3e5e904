#!/usr/bin/env bash
# test-deps.sh — installs, through apt, the third-party programs the tests use
# as independent clients: ffprobe and ffmpeg from Debian's `ffmpeg` package
# (they read camgate's RTSP streams; camgate itself never runs them), and
# Debian's `chromium`, which loads the dashboard in the browser test, jq,
# which reads ffprobe's JSON in the release and container checks, and
# GStreamer: its RTSP server plays a camera whose RTSP stack is not gortsplib
# (testdata/gst-rtsp-camera.py, through Debian's python3-gi), and its rtspsrc
# reads camgate's streams (pipeline/interop_test.go).
set -euo pipefail

pkgs=(ffmpeg chromium jq
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 python3-gi)
"$(dirname "$0")/apt-install.sh" "${pkgs[@]}"
