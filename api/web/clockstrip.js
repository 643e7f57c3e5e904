// clockstrip.js reads the wall-clock time that a clock camera (camgate's
// demo.ClockSource, `fakecam -clock`) burns into its pictures, from a video
// frame drawn into a canvas. It is the browser twin of demo.ReadClock (Go):
// the same layout, the same algorithm, the same checks.
//
// The strip is the top quarter of the picture: 64 blocks, 16 columns by 4
// rows, each 1/16 of the width and 1/16 of the height. Block k is at column
// k%16, row k/16; white is a 1, black a 0:
//
//   block 0 white, block 1 black   the reference levels
//   blocks 2-49                    Unix time in ms, 48 bits, most significant first
//   blocks 50-61                   CRC-12 of those bits (polynomial 0x80F, initial 0)
//   block 62 white, block 63 black the end marks
//
// Each block is sampled over its centre half, thresholded halfway between the
// reference levels; the time is accepted only if the contrast is enough,
// every block is clearly black or white, and the marks and the CRC agree.

const COLUMNS = 16;
const ROWS = 4;
const BITS = 48;
const CRC_BITS = 12;
const CRC_POLY = 0x80f;

function crc12(bits, from) {
  let crc = 0;
  for (let i = 0; i < BITS; i++) {
    const top = ((crc >> (CRC_BITS - 1)) & 1) ^ bits[from + i];
    crc = (crc << 1) & ((1 << CRC_BITS) - 1);
    if (top) crc ^= CRC_POLY;
  }
  return crc;
}

// readClock reads the strip from the w×h region at (x, y) of a 2D canvas
// context (the whole video frame, or one tile of a grid) and returns the
// burnt-in time in Unix milliseconds, or null when there is no valid strip.
export function readClock(ctx, x, y, w, h) {
  x = Math.round(x);
  y = Math.round(y);
  w = Math.round(w);
  h = Math.round(h);
  if (w < COLUMNS * 2 || h < ROWS * 4 * 2) return null;
  const bw = w / COLUMNS;
  const bh = h / (ROWS * 4);
  const last = Math.floor((ROWS - 1) * bh + (bh * 3) / 4 + 0.5); // one past the last line read
  const img = ctx.getImageData(x, y, w, last);
  const d = img.data;
  const lum = new Array(COLUMNS * ROWS);
  for (let k = 0; k < lum.length; k++) {
    const col = k % COLUMNS;
    const row = Math.floor(k / COLUMNS);
    const x0 = Math.floor(col * bw + bw / 4);
    let x1 = Math.floor(col * bw + (bw * 3) / 4 + 0.5);
    const y0 = Math.floor(row * bh + bh / 4);
    let y1 = Math.floor(row * bh + (bh * 3) / 4 + 0.5);
    x1 = Math.max(x1, x0 + 1);
    y1 = Math.max(y1, y0 + 1);
    let sum = 0;
    let n = 0;
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * w + xx) * 4;
        sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
        n++;
      }
    }
    lum[k] = sum / n;
  }
  const white = lum[0];
  const black = lum[1];
  const contrast = white - black;
  if (contrast < 48) return null;
  const thr = (white + black) / 2;
  const margin = contrast / 8;
  const bits = new Array(lum.length);
  for (let k = 0; k < lum.length; k++) {
    if (lum[k] > thr - margin && lum[k] < thr + margin) return null; // neither black nor white
    bits[k] = lum[k] > thr ? 1 : 0;
  }
  if (!bits[62] || bits[63]) return null;
  // 48 bits do not fit JavaScript's 32-bit bitwise operators: use arithmetic.
  let ms = 0;
  for (let i = 0; i < BITS; i++) ms = ms * 2 + bits[2 + i];
  let crc = 0;
  for (let i = 0; i < CRC_BITS; i++) crc = crc * 2 + bits[2 + BITS + i];
  if (crc !== crc12(bits, 2)) return null;
  return ms;
}
