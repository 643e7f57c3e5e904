#!/usr/bin/env bash
# Remakes the test clips in this folder. Needs Debian 12's `ffmpeg` package
# (FFmpeg 5.1 with libx264 and libx265) and fonts-dejavu-core. See README.md.
set -euo pipefail
cd "$(dirname "$0")"
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
[[ -r $font ]] || font=$(ls /usr/share/fonts/truetype/*/DejaVuSansMono.ttf /usr/share/fonts/truetype/DejaVuSansMono.ttf 2>/dev/null | head -1)

# scene W H SECONDS LABEL: a static textured scene (a still Mandelbrot render,
# dimmed), two objects crossing it, a camera-style clock overlay and temporal
# sensor noise. Static background + motion + noise is what camera video is.
scene() {
  local w=$1 h=$2 secs=$3 label=$4
  echo "mandelbrot=s=${w}x${h}:rate=25:start_scale=0.9:end_scale=0.9:maxiter=256,format=yuv420p,eq=brightness=-0.05:saturation=0.6,trim=duration=${secs},setpts=PTS-STARTPTS,drawbox=x='mod(t*${w}/4\,${w})':y=${h}*0.55:w=${w}/8:h=${h}/6:color=0x3050a0@0.9:t=fill,drawbox=x='${w}-mod(t*${w}/6\,${w})':y=${h}*0.75:w=${w}/12:h=${h}/10:color=0xc0c0b0@0.9:t=fill,drawtext=fontfile=${font}:text='${label} %{pts\:hms}':x=${w}/40:y=${h}/30:fontsize=${h}/24:fontcolor=white:box=1:boxcolor=black@0.4,noise=alls=5:allf=t"
}

# 1080p25 H.264 High, no B-frames, GOP 50, 4 s (100 frames), ~3 Mbit/s.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$(scene 1920 1080 4 CAM-1080)" \
  -c:v libx264 -preset medium -profile:v high -bf 0 -g 50 -keyint_min 50 -sc_threshold 0 \
  -b:v 3M -maxrate 3.5M -bufsize 3M -x264-params aud=0 -f h264 cam1080p25.h264

# 720p25 H.265 Main, no B-frames, GOP 50, 4 s (100 frames), ~1.5 Mbit/s.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$(scene 1280 720 4 CAM-720)" \
  -c:v libx265 -preset fast -profile:v main \
  -x265-params "bframes=0:keyint=50:min-keyint=50:scenecut=0:log-level=error" \
  -b:v 1500k -f hevc cam720p25.hevc

# Resolution change: 2 s at 640x360 then 2 s at 480x272 (50 + 50 frames), one
# Annex-B H.264 stream with new SPS/PPS at the switch, as a camera that changes
# its resolution mid-stream sends.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$(scene 640 360 2 RES-A)" \
  -c:v libx264 -preset medium -bf 0 -g 25 -sc_threshold 0 -b:v 600k -f h264 "$tmp/a.h264"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$(scene 480 272 2 RES-B)" \
  -c:v libx264 -preset medium -bf 0 -g 25 -sc_threshold 0 -b:v 400k -f h264 "$tmp/b.h264"
cat "$tmp/a.h264" "$tmp/b.h264" > reschange.h264

# A camera's own sub stream: the 1080p clip's scene at 640x360, 10 fps, H.264
# Main, GOP 20, ~512 kbit/s, 4 s (40 frames), as cameras serve at
# /Streaming/Channels/102 (made from cam1080p25.h264, so run this after it).
ffmpeg -hide_banner -loglevel error -y -r 25 -f h264 -i cam1080p25.h264 -vf "fps=10,scale=640:360" \
  -c:v libx264 -preset medium -profile:v main -bf 0 -g 20 -keyint_min 20 -sc_threshold 0 \
  -b:v 512k -maxrate 600k -bufsize 512k -x264-params aud=0 -f h264 cam360p10.h264

ls -l cam1080p25.h264 cam720p25.hevc reschange.h264 cam360p10.h264
