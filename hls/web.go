package hls

import (
	_ "embed"
)

// The player page that an app can put in an <iframe>: a muted, autoplaying
// <video>, native HLS where the browser has it (Safari), the vendored hls.js
// in low-latency mode elsewhere.
//
//go:embed web/index.html
var playerPage []byte

// hls.js, vendored from the npm registry by scripts/update-hlsjs.sh (its
// version in web/hls.js-VERSION, its license in web/hls.js-LICENSE, its
// SHA-256 in web/hls.light.min.js.sha256, which a test checks).
//
//go:embed web/hls.light.min.js
var hlsJS []byte

const hlsJSName = "hls.light.min.js"

// Script returns hls.js, for other pages of camgate that play HLS in
// browsers without native HLS (the dashboard). It must not be modified.
func Script() []byte { return hlsJS }
