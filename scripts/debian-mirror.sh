#!/usr/bin/env bash
# debian-mirror.sh — prints the Debian mirror URI this machine's own apt sources
# use for its main suite (not -security, not -updates), e.g. for `apt-get source`
# of another suite or for debootstrap. No host name is written in this repository.
#
# Shared by scripts/ffmpeg.sh and scripts/release-test.sh. Exits 1, with a message
# on stderr, when apt lists no such mirror.
set -euo pipefail

find_mirror() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk '$2 !~ /-/ && $1 !~ /security/ {print $1; exit}'
}

mirror=$(find_mirror)
if [[ -z $mirror ]]; then
  # A machine that never ran `apt-get update` has no index targets yet.
  sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update -qq >&2 || true
  mirror=$(find_mirror)
fi
if [[ -z $mirror ]]; then
  echo "[debian-mirror.sh] error: could not find a Debian mirror in this machine's apt sources (apt-get indextargets lists none); check /etc/apt/sources.list*" >&2
  exit 1
fi
echo "$mirror"
