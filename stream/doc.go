// Package stream is camgate's stream hub: the place where every published
// path lives, independently of the protocol that carries it to viewers.
//
// A Stream has a path, a Description of its media, and carries Units (video
// access units and audio frames). Its writer is a camera's relay or a
// transcoded output; its readers are sessions of a reader protocol (RTSP
// today, WebRTC and HLS next). The hub gives every protocol the same things:
//
//   - each reader starts at a keyframe, so its decoder never sees a picture
//     whose references it lacks;
//   - each reader has a bounded queue: a slow reader never holds up the writer
//     or the other readers; when its queue is full it loses units up to the
//     next keyframe (counted), instead of getting a smeared picture;
//   - "has readers" and "a reader joined" (for an encoder's forced IDR);
//   - counters: bytes and frames out, readers, joins, drops.
//
// A protocol server looks a path up with Hub.Stream, reads its Description,
// attaches a Reader and copies what Reader.Read returns to its client.
package stream
