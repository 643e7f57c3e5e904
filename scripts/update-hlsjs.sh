#!/usr/bin/env bash
# update-hlsjs.sh [version] — vendors hls.js (the light build) into hls/web/,
# from the npm registry through npm's own client: `npm pack` downloads the
# package tarball, whose SHA-512 this script checks against the integrity
# string the registry publishes for that exact version. It copies
# dist/hls.light.min.js and the LICENSE, and writes hls.light.min.js.sha256,
# which a Go test (hls/web_test.go) checks the embedded file against.
# Pinned: give an exact version; the default is the one committed.
set -euo pipefail

version="${1:-1.6.19}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "update-hlsjs.sh: give an exact version such as 1.6.15, not '$version'" >&2
  exit 2
fi
command -v npm >/dev/null || { echo "update-hlsjs.sh: npm is required (apt-get install -y npm)" >&2; exit 1; }

here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/hls/web"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# What the registry says the tarball must be.
integrity="$(npm view "hls.js@$version" dist.integrity)"
[[ "$integrity" == sha512-* ]] || { echo "update-hlsjs.sh: no sha512 integrity for hls.js@$version: '$integrity'" >&2; exit 1; }

(cd "$tmp" && npm pack --silent "hls.js@$version" >/dev/null)
tarball="$tmp/hls.js-$version.tgz"
[[ -f "$tarball" ]] || { echo "update-hlsjs.sh: npm pack made no $tarball" >&2; exit 1; }

got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$got" != "$integrity" ]]; then
  echo "update-hlsjs.sh: integrity mismatch for hls.js@$version: registry $integrity, tarball $got" >&2
  exit 1
fi

tar -xzf "$tarball" -C "$tmp" package/dist/hls.light.min.js package/LICENSE package/package.json
pkgver="$(node -p 'require(process.argv[1]).version' "$tmp/package/package.json" 2>/dev/null || echo "$version")"
[[ "$pkgver" == "$version" ]] || { echo "update-hlsjs.sh: package.json says $pkgver, wanted $version" >&2; exit 1; }

mkdir -p "$dest"
cp "$tmp/package/dist/hls.light.min.js" "$dest/hls.light.min.js"
cp "$tmp/package/LICENSE" "$dest/hls.js-LICENSE"
(cd "$dest" && sha256sum hls.light.min.js > hls.light.min.js.sha256)
echo "$version" > "$dest/hls.js-VERSION"
echo "hls.js $version vendored into hls/web/ (npm integrity $integrity verified)"
cat "$dest/hls.light.min.js.sha256"
