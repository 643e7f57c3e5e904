// Package transcode is camgate's only contact with libav (FFmpeg's libraries):
// it decodes H.264 and H.265 access units, scales pictures, encodes H.264 with
// x264 and makes JPEG snapshots.
//
// Other packages see plain Go types only: an access unit is a
// *codec.AccessUnit (NAL units without start codes, a time.Duration timestamp,
// a keyframe flag), a picture is a *Frame. Timestamps inside are ticks of
// codec.VideoClockRate.
//
// Ownership follows one rule: every constructor returns something with an
// idempotent Close. Frames and packets of the per-frame path are allocated once
// and reused, so the steady state allocates nothing per frame, neither in Go nor
// in C. A *Frame or *AccessUnit returned by a method is owned by the object that
// returned it and is valid until that object's next call; copy what must live
// longer. None of the types are safe for concurrent use, except where a method
// says so.
package transcode
