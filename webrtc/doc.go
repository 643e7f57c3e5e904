// Package webrtc is the WebRTC reader protocol of camgate's stream hub:
// WHEP (RFC 9725) on MediaMTX's URLs, so that players written for MediaMTX
// work unchanged.
//
//	POST   /<path>/whep           SDP offer in, 201 + SDP answer + Location out
//	PATCH  /<path>/whep/<id>      trickle ICE candidates (answered 204)
//	DELETE /<path>/whep/<id>      ends the session
//	GET    /<path>/               a player page (muted autoplay, reconnects)
//	GET    /whep.js               the WHEP client the page uses (whepPlay)
//
// Every session shares one UDP socket (ICE UDP mux) and one TCP listener
// (ICE-TCP); answers are sent once ICE gathering is complete (host
// candidates only, unless STUN servers are configured), so a client needs
// no trickle. One goroutine per session waits for the connection, then
// attaches a hub reader (which forces an IDR on camgate's own encoders) and
// packetizes its units: a new viewer's first picture is the next frame of a
// transcoded stream, not the end of the GOP. A PLI or FIR from the viewer
// attaches a new reader the same way, at most once a second.
//
// Video: H.264 in packetization mode 1, packets of at most 1200 bytes, SPS
// and PPS before every keyframe that lacks them. The answer keeps the H.264
// profile the browser offered that matches the stream best (its own
// profile, else constrained baseline, which browsers answer with and decode
// High with). H.265 is answered only when the offer has H.265 (Safari,
// Chrome 136+); otherwise the POST gets 400 naming the H.264 sub stream.
// RTP timestamps are the units' presentation times: a stream with B-frames
// (none of camgate's encoders make them; some cameras do) arrives out of
// timestamp order, which browsers play with stutter. Use the sub stream.
//
// Audio: G.711 (PCMU, PCMA) and Opus are passed through when the offer has
// them. AAC is not carried (WebRTC has no AAC, and camgate does not
// transcode audio): the session plays video alone and its answer has the
// header X-Camgate-Audio: none (AAC cannot be carried by WebRTC; use HLS
// for audio).
//
// Sessions end on DELETE, when the stream ends or changes format (the player
// connects again), when ICE fails, or when ICE is not connected for
// Config.SessionTimeout (a viewer that never connected, or went away without
// DELETE). A camera's reboot does not end them: the hub keeps the stream.
//
// Subpackage whepclient is a WHEP viewer in Go, for tests, the load bench
// and the soak harness.
package webrtc
