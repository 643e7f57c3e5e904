#!/usr/bin/env bash
# apt-install.sh PACKAGE… — installs, through apt, those of the Debian packages
# that are not installed yet; does nothing when all are. Every script of the
# project gets its prerequisites this way, so a fresh Debian machine needs
# nothing by hand. Root, or sudo, is needed only when something is missing.
set -euo pipefail
log() { printf '[apt-install.sh] %s\n' "$*" >&2; }
die() { printf '[apt-install.sh] error: %s\n' "$*" >&2; exit 1; }

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

command -v apt-get >/dev/null || die "no apt-get on this machine: install ${missing[*]} by hand"
sudo=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || die "not root and no sudo: install ${missing[*]} as root"
  sudo=(sudo)
fi
log "installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq >&2 ||
  die "apt-get update failed: is Debian's package archive reachable from this machine?"
# env, not a variable assignment in front: sudo would drop it.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
  die "apt-get install ${missing[*]} failed"
