// camgate dashboard: polls the JSON API and keeps one card per camera and
// grid up to date. Plain JavaScript, no build step, no external resources.
"use strict";

const REFRESH_MS = 2000;  // stats
const SNAPSHOT_MS = 5000; // pictures

function fmtOut(o) {
  if (!o.readers) return "idle (no readers)";
  return fmtRate(o.bitrate_10s) + (o.fps !== undefined && o.name !== "main" ? ", " + o.fps.toFixed(1) + " fps" : "") +
    ", " + o.readers + (o.readers === 1 ? " reader" : " readers");
}

function fmtRate(bits) {
  if (!bits) return "0";
  if (bits >= 1e6) return (bits / 1e6).toFixed(2) + " Mbit/s";
  return (bits / 1e3).toFixed(0) + " kbit/s";
}

function fmtAge(ms) {
  if (ms < 0) return "never";
  if (ms < 1000) return ms + " ms ago";
  return (ms / 1000).toFixed(1) + " s ago";
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // Plain HTTP on another host has no clipboard API: fall back.
    const t = el("textarea");
    t.value = text;
    document.body.appendChild(t);
    t.select();
    document.execCommand("copy");
    t.remove();
  }
  button.textContent = "copied";
  setTimeout(() => (button.textContent = "copy"), 1500);
}

function urlRow(label, url) {
  const row = el("div", "url");
  row.appendChild(el("span", "", label));
  row.appendChild(el("code", "", url));
  const b = el("button", "", "copy");
  b.onclick = () => copyText(url, b);
  row.appendChild(b);
  return row;
}

// players are the live players of the cards, by card id.
const players = new Map();

// Cards play only while they are on screen: a page of many cameras holds
// only the sessions someone can see.
const onScreen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const p = players.get(e.target.id);
    if (!p) continue;
    if (e.isIntersecting) p.start(); else p.stop();
  }
});

// card returns the card element for key, creating it with a picture: a
// live <video> when live urls are given, with an <img> for snapshots.
function card(container, key, withImage, live, onClick) {
  let c = document.getElementById(key);
  if (!c) {
    c = el("div", "card");
    c.id = key;
    if (withImage) {
      const pic = el("div", "picture");
      const img = el("img");
      img.alt = "";
      if (live) {
        const video = el("video");
        pic.appendChild(video);
        img.hidden = true;
        players.set(key, new LivePlayer(video, img, live));
        if (onClick) {
          pic.classList.add("clickable");
          pic.title = "full screen: the main stream";
          pic.onclick = onClick;
        }
      }
      pic.appendChild(img);
      c.appendChild(pic);
    }
    c.appendChild(el("div", "body"));
    container.appendChild(c);
    if (players.has(key)) onScreen.observe(c);
  }
  return c;
}

// fullScreen plays urls in a full-window overlay until it is clicked or
// Escape is pressed.
function fullScreen(title, urls) {
  const overlay = el("div", "overlay");
  const video = el("video");
  const img = el("img");
  img.hidden = true;
  const caption = el("div", "caption", title + " — click or press Esc to close");
  overlay.append(video, img, caption);
  document.body.appendChild(overlay);
  const p = new LivePlayer(video, img, urls);
  const close = () => {
    p.stop();
    overlay.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (e) => { if (e.key === "Escape") close(); };
  overlay.onclick = close;
  document.addEventListener("keydown", onKey);
  p.start();
  const show = setInterval(() => {
    if (!overlay.isConnected) return clearInterval(show);
    if (video.dataset.error) caption.textContent = title + ": " + video.dataset.error + " — click to close";
  }, 1000);
}

function fill(body, title, state, rows, error, urls) {
  body.textContent = "";
  const t = el("div", "title");
  t.appendChild(el("span", "name", title));
  if (state) t.appendChild(el("span", "state " + state, state));
  body.appendChild(t);
  const dl = el("dl");
  for (const [k, v] of rows) {
    dl.appendChild(el("dt", "", k));
    const dd = el("dd", "", v);
    dd.dataset.field = k;
    dl.appendChild(dd);
  }
  body.appendChild(dl);
  if (error) body.appendChild(el("div", "error", error));
  for (const [k, u] of urls) body.appendChild(urlRow(k, u));
}

function liveOf(urls, snapshot) {
  if (!urls) return null;
  return { whep: urls.whep, hls: urls.hls, snapshot };
}

function renderCamera(container, cam) {
  const live = cam.live || {};
  const sub = liveOf(live.sub || live.main);
  const main = liveOf(live.main);
  const c = card(container, "camera-" + cam.name, true, sub, main ? () => fullScreen(cam.name + "/main", main) : null);
  c.className = "card " + cam.state;
  const rows = [
    ["in", fmtRate(cam.bitrate_in_10s) + ", " + cam.fps_in.toFixed(1) + " fps"],
    ["last frame", fmtAge(cam.last_frame_ms)],
    ["reconnects", String(cam.reconnects)],
    ["decode errors", String(cam.decode_errors) + (cam.queue_drops ? ", " + cam.queue_drops + " dropped" : "")],
  ];
  const ss = cam.sub_stream;
  if (ss) {
    // The camera's own small stream (sub_url), and what it feeds.
    const size = ss.width ? ss.width + "x" + ss.height + " " : "";
    rows.push(["sub_url in", ss.state + ", " + size + ss.fps.toFixed(1) + " fps, " + fmtRate(ss.bitrate_in_10s)]);
  }
  if (cam.main) rows.push(["main out", fmtOut(cam.main)]);
  for (const o of cam.outputs || []) rows.push([o.name + " out", fmtOut(o)]);
  const src = cam.sources || {};
  if (ss && (src.sub || src.tiles)) {
    const parts = [];
    if (src.sub) parts.push("sub ← " + src.sub);
    if (src.tiles) parts.push("tiles ← " + src.tiles);
    rows.push(["made from", parts.join(", ")]);
  }
  let err = cam.last_error ? "last error (" + new Date(cam.last_error_at).toLocaleTimeString() + "): " + cam.last_error : "";
  if (ss && ss.last_error && ss.state !== "ready") {
    err += (err ? "; " : "") + "sub_url (" + new Date(ss.last_error_at).toLocaleTimeString() + "): " + ss.last_error;
  }
  fill(c.querySelector(".body"), cam.name, cam.state, rows, err, Object.entries(cam.urls));
}

function renderGrid(container, g) {
  const c = card(container, "grid-" + g.name, true, liveOf(g.live));
  c.className = "card grid";
  const o = g.output;
  fill(c.querySelector(".body"), g.name, "", [
    ["layout", g.layout + ", " + o.width + "x" + o.height + ", fit " + g.fit],
    ["live tiles", g.live_tiles + " of " + g.cameras.length],
    ["out", fmtOut(o)],
    ["cameras", g.cameras.join(", ")],
  ], "", [["grid", g.url]]);
}

// Cards of things that no longer exist are removed.
function prune(container, keys) {
  for (const c of Array.from(container.children)) {
    if (keys.has(c.id)) continue;
    const p = players.get(c.id);
    if (p) { p.stop(); players.delete(c.id); onScreen.unobserve(c); }
    c.remove();
  }
}

async function refresh() {
  try {
    const [cams, grids] = await Promise.all([
      fetch("/v1/cameras").then((r) => r.json()),
      fetch("/v1/grids").then((r) => r.json()),
    ]);
    const cc = document.getElementById("cameras");
    cams.forEach((cam) => renderCamera(cc, cam));
    prune(cc, new Set(cams.map((c) => "camera-" + c.name)));
    const gc = document.getElementById("grids");
    grids.forEach((g) => renderGrid(gc, g));
    prune(gc, new Set(grids.map((g) => "grid-" + g.name)));
    const ready = cams.filter((c) => c.state === "ready").length;
    document.getElementById("summary").textContent =
      ready + " of " + cams.length + " cameras ready · updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("summary").textContent = "camgate unreachable: " + e;
  }
}

// Each picture is fetched again only once the previous one has arrived, so a
// slow link never piles up requests; it is shown from memory (a blob), so the
// card never flickers while the next one loads.
function refreshSnapshots() {
  for (const img of document.querySelectorAll("#cameras img, #grids img")) {
    // A card that plays live video needs no pictures.
    if (img.dataset.loading || img.hidden) continue;
    const c = img.closest(".card");
    // A camera that is down has no picture to get; a grid always has one
    // (placeholder tiles for its cameras that are down).
    let url;
    if (c.id.startsWith("camera-")) {
      if (!c.classList.contains("ready")) continue;
      url = "/v1/cameras/" + encodeURIComponent(c.id.slice("camera-".length)) + "/snapshot.jpg?width=480";
    } else {
      url = "/v1/grids/" + encodeURIComponent(c.id.slice("grid-".length)) + "/snapshot.jpg?width=480";
    }
    img.dataset.loading = "1";
    fetch(url)
      .then((r) => (r.ok ? r.blob() : Promise.reject(r.status)))
      .then((blob) => {
        const old = img.src;
        img.onload = () => { img.dataset.loaded = "1"; };
        img.src = URL.createObjectURL(blob);
        if (old.startsWith("blob:")) URL.revokeObjectURL(old);
      })
      .catch(() => {})
      .finally(() => { delete img.dataset.loading; });
  }
}

refresh().then(refreshSnapshots);
setInterval(refresh, REFRESH_MS);
setInterval(refreshSnapshots, SNAPSHOT_MS);
