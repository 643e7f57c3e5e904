// camgate live view: plays a stream in a <video> over WebRTC (WHEP), falls
// back to LL-HLS when WebRTC cannot connect, and to snapshots when neither
// can. A camera reboot needs no reload: camgate keeps the stream published,
// the session stays up, and the picture comes back by itself; a session
// that does end is opened again.
"use strict";

// The readers' credentials, as a query ("token=…"), when camgate needs them.
const LIVE_QUERY = (document.querySelector('meta[name="camgate-live-query"]') || {}).content || "";

function withQuery(url) {
  if (!LIVE_QUERY) return url;
  return url + (url.includes("?") ? "&" : "?") + LIVE_QUERY;
}

// whepSession opens one WHEP session (RFC 9725) for video (and audio, muted)
// and resolves once the answer is applied. It rejects with camgate's error
// text (an H.265 camera names the H.264 path that plays).
async function whepSession(video, whepURL) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    if (video.srcObject !== stream) video.srcObject = stream;
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    // Not trickle: camgate's candidates are in its answer, and the
    // browser's host candidates take a few milliseconds.
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const t = setTimeout(resolve, 1000);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
      });
    });
    const r = await fetch(withQuery(whepURL), {
      method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp,
    });
    const body = await r.text();
    if (r.status !== 201) throw new Error(body.trim() || "WHEP: HTTP " + r.status);
    const location = new URL(r.headers.get("Location") || "", whepURL).href;
    await pc.setRemoteDescription({ type: "answer", sdp: body });
    return {
      pc,
      close() {
        pc.close();
        fetch(withQuery(location), { method: "DELETE" }).catch(() => {});
      },
    };
  } catch (e) {
    pc.close();
    throw e;
  }
}

// LivePlayer keeps video playing urls ({whep, hls, snapshot}) for as long as
// it is started. video.dataset.protocol says what plays: webrtc, hls,
// snapshot (then img shows pictures), or nothing yet; video.dataset.error
// says why the better ones did not.
class LivePlayer {
  constructor(video, img, urls) {
    this.video = video;
    this.img = img;
    this.urls = urls;
    this.running = false;
    this.session = null;
    this.hls = null;
    this.timer = null;
    this.failures = 0;
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.play();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.teardown();
    this.video.dataset.protocol = "";
  }

  teardown() {
    if (this.session) { this.session.close(); this.session = null; }
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    if (this.video.srcObject) this.video.srcObject = null;
    if (this.video.src) { this.video.removeAttribute("src"); this.video.load(); }
    this.showVideo(true);
  }

  showVideo(on) {
    this.video.hidden = !on;
    if (this.img) this.img.hidden = on;
  }

  retry(ms) {
    clearTimeout(this.timer);
    if (this.running) this.timer = setTimeout(() => this.play(), ms);
  }

  async play() {
    if (!this.running) return;
    this.teardown();
    const errors = [];
    if (this.urls.whep) {
      try {
        await this.playWebRTC();
        return;
      } catch (e) {
        errors.push(String(e.message || e));
      }
    }
    if (!this.running) return;
    if (this.urls.hls) {
      try {
        await this.playHLS();
        return;
      } catch (e) {
        errors.push(String(e.message || e));
      }
    }
    if (!this.running) return;
    this.video.dataset.error = errors.join("; ");
    this.video.dataset.protocol = "snapshot";
    this.showVideo(false);
    // Try the live protocols again, less often the longer they fail.
    this.failures++;
    this.retry(Math.min(30000, 2000 * this.failures));
  }

  // playWebRTC resolves once the connection is up; a session that fails
  // later is opened again.
  async playWebRTC() {
    const s = await whepSession(this.video, this.urls.whep);
    if (!this.running) { s.close(); return; }
    this.video.dataset.sessions = String((+this.video.dataset.sessions || 0) + 1);
    this.session = s;
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("WebRTC: no connection within 10 s (UDP and TCP to camgate's ICE port blocked?)")), 10000);
      const check = () => {
        const st = s.pc.connectionState;
        if (st === "connected") { clearTimeout(t); resolve(); }
        if (st === "failed" || st === "closed") { clearTimeout(t); reject(new Error("WebRTC: connection " + st)); }
      };
      s.pc.addEventListener("connectionstatechange", check);
      check();
    }).catch((e) => {
      s.close();
      if (this.session === s) this.session = null;
      throw e;
    });
    this.video.dataset.protocol = "webrtc";
    this.video.dataset.error = "";
    this.failures = 0;
    s.pc.addEventListener("connectionstatechange", () => {
      const st = s.pc.connectionState;
      if (this.session === s && (st === "failed" || st === "closed")) this.retry(1000);
    });
    this.video.play().catch(() => {});
  }

  async playHLS() {
    const url = withQuery(this.urls.hls);
    const v = this.video;
    // hls.js wherever there is Media Source Extensions (Chromium's own HLS
    // player does not parse LL-HLS); native HLS otherwise (iPhone Safari).
    if (!(window.Hls && window.Hls.isSupported()) && v.canPlayType("application/vnd.apple.mpegurl")) {
      v.src = url;
    } else if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ lowLatencyMode: true });
      this.hls = hls;
      hls.on(window.Hls.Events.ERROR, (_, d) => {
        if (d.fatal && this.hls === hls) this.retry(2000);
      });
      hls.loadSource(url);
      hls.attachMedia(v);
    } else {
      throw new Error("HLS: this browser plays neither HLS nor MSE");
    }
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("HLS: nothing played within 15 s")), 15000);
      v.addEventListener("playing", () => { clearTimeout(t); resolve(); }, { once: true });
      v.play().catch(() => {});
    }).catch((e) => {
      if (this.hls) { this.hls.destroy(); this.hls = null; }
      throw e;
    });
    this.video.dataset.protocol = "hls";
  }
}
