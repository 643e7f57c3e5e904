// Package viewers holds what the HTTP reader protocols (WebRTC/WHEP and
// LL-HLS) share about who may watch: the readers' credentials, which are the
// same ones that guard RTSP readers, and the CORS origins that may embed the
// players. It imports only the standard library.
package viewers
