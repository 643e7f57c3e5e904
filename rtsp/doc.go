// Package rtsp holds everything camgate does with RTSP and RTP: the client that
// pulls a camera (Source), the gateway's own server (Server) with its published
// streams (Relay for passthrough, H264Stream for transcoded output), and, in
// rtsp/rtsptest, a fake camera for tests and demos.
//
// gortsplib and pion types stay inside this package. Other packages see access
// units as NAL units plus a time.Duration timestamp, and RTP packets as the
// opaque Packet, which they hand from a Source to a Relay.
package rtsp
