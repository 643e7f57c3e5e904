// camgate WHEP client (RFC 9725), served at /whep.js.
//
//   const session = await whepPlay(video, whepURL, {onError, onState, headers});
//   session.close();   // DELETEs the session and closes the peer connection
//
// video:    an HTMLVideoElement; it gets the received MediaStream.
// whepURL:  the WHEP endpoint, e.g. "/cam1/sub/whep" (relative URLs work;
//           a ?token=… or ?user=&pass=… query is passed through as given).
// options:  headers  extra request headers (e.g. {Authorization: "Bearer …"});
//           onState  called with the RTCPeerConnection's connectionState;
//           onError  called with an Error when the session fails after it
//                    started (the caller decides whether to reconnect).
// Returns a promise of {pc, location, close()}; it rejects with an Error whose
// message is the server's text (e.g. why an H.265 stream cannot play here).
// Non-trickle: the offer is sent once ICE gathering is complete.
async function whepPlay(video, whepURL, options = {}) {
  const headers = Object.assign({"Content-Type": "application/sdp"}, options.headers || {});
  const pc = new RTCPeerConnection({bundlePolicy: "max-bundle"});
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.addTransceiver("audio", {direction: "recvonly"});
  const media = new MediaStream();
  pc.ontrack = (ev) => {
    media.addTrack(ev.track);
    video.srcObject = media;
  };
  let closed = false;
  let location = null;
  pc.onconnectionstatechange = () => {
    if (options.onState) options.onState(pc.connectionState);
    if (!closed && (pc.connectionState === "failed" || pc.connectionState === "closed")) {
      if (options.onError) options.onError(new Error("connection " + pc.connectionState));
    }
  };
  const close = () => {
    if (closed) return;
    closed = true;
    pc.close();
    if (location) fetch(location, {method: "DELETE", headers: options.headers || {}}).catch(() => {});
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const t = setTimeout(resolve, 2000); // what was gathered by then is enough
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
      });
    });
    const res = await fetch(whepURL, {method: "POST", headers, body: pc.localDescription.sdp});
    if (res.status !== 201) {
      const text = (await res.text()).trim();
      throw new Error(text || ("WHEP POST: HTTP " + res.status));
    }
    const loc = res.headers.get("Location");
    if (loc) {
      const u = new URL(loc, new URL(whepURL, document.baseURI));
      u.search = new URL(whepURL, document.baseURI).search; // credentials in the query
      location = u.toString();
    }
    await pc.setRemoteDescription({type: "answer", sdp: await res.text()});
  } catch (e) {
    close();
    throw e;
  }
  return {pc, get location() { return location; }, close};
}

if (typeof window !== "undefined") window.whepPlay = whepPlay;
