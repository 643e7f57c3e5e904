// Package rtsp holds everything camgate does with RTSP and RTP: the client that
// pulls a camera (Source), the gateway's own server (Server) with its published
// streams (Relay for passthrough, H264Stream for transcoded output). Beside
// it: rtsp/fakecam, the fake camera of the demo, the fakecam command and the
// tests; rtsp/rtspclient, a viewer that plays a stream and reports what
// arrives; rtsp/rtsptest, test wrappers of that viewer.
//
// gortsplib and pion types stay inside this package. Other packages see access
// units as NAL units plus a time.Duration timestamp, and RTP packets as the
// opaque Packet, which they hand from a Source to a Relay.
package rtsp
