#!/usr/bin/env bash
# verify-unit.sh [UNIT] — runs `systemd-analyze verify` on deploy/camgate.service
# (or UNIT) exactly as it is, without installing anything on this machine: in a
# temporary root holding the unit, the systemd units it refers to, a binary at
# its ExecStart path, and the programs its other Exec lines run. Warnings count
# as failures.
set -euo pipefail
log() { printf '[verify-unit] %s\n' "$*" >&2; }
die() { printf '[verify-unit] FAIL: %s\n' "$*" >&2; exit 1; }

unit=${1:-deploy/camgate.service}
[[ -r $unit ]] || die "no unit file $unit"
if ! command -v systemd-analyze >/dev/null; then
  "$(dirname "$0")/apt-install.sh" systemd || die "systemd-analyze is missing, and installing systemd failed"
fi
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
[[ -d $unitdir ]] || unitdir=/lib/systemd/system

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp "$unit" "$root/etc/systemd/system/"
# The targets it orders itself against (network-online.target, multi-user.target…).
cp -a "$unitdir" "$root/usr/lib/systemd/system"
# Each Exec*= program must exist and be executable: a stand-in is enough, since
# verify does not run it.
sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\(\/[^ ]*\).*/\1/p' "$unit" | sort -u | while read -r prog; do
  mkdir -p "$root$(dirname "$prog")"
  printf '#!/bin/sh\n' >"$root$prog"
  chmod 0755 "$root$prog"
done

out=$(cd "$root" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no --root="$root" "$(basename "$unit")" 2>&1) ||
  { echo "$out" >&2; die "systemd-analyze verify $unit failed"; }
[[ -z $out ]] || { echo "$out" >&2; die "systemd-analyze verify $unit printed warnings"; }
log "PASS: systemd-analyze verify $unit ($(systemd-analyze --version | head -1))"
