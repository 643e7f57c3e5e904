// Package hls is the Low-Latency HLS reader protocol of camgate's stream hub.
//
// One HTTP listener (DefaultAddress, MediaMTX's :8888) serves, for every
// published path (which may hold slashes: cam1/main, grid/demo):
//
//	GET /<path>/index.m3u8   the multivariant playlist; the first request of a
//	                         path opens its muxer (gohlslib, LL-HLS, fMP4,
//	                         segments and parts in memory)
//	GET /<path>/<file>       the muxer's media playlist, init file, segments
//	                         and parts (blocking playlist reloads included)
//	GET /<path>/             a player page for an <iframe> (native HLS or the
//	                         vendored hls.js), /<path> redirects there
//
// Each muxer reads the hub through one stream.Reader on one goroutine that
// the Server owns: it starts at a keyframe, prepends the stream's parameter
// sets to keyframes that lack them, stamps segments with the wall clock
// (#EXT-X-PROGRAM-DATE-TIME) and carries AAC or Opus audio when the stream
// has it. A muxer closes when nobody requested it for Config.IdleTimeout,
// when its stream ends or changes format, when its video's parameter sets
// change (another resolution: the init file would lie), or when the stream
// sent no video for 15 s; the next request opens a new one.
//
// Viewers present the same credentials as RTSP readers (viewers.Auth:
// Basic, ?user=&pass=, Bearer, ?token=) and need the same permissions; the playlists copy the query onto
// every URI, so a token given once reaches every segment. Every response
// carries the CORS headers of Config.CORS.
package hls
