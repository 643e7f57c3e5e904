#!/usr/bin/env bash
# probe-sub.sh URL [SECONDS] — waits (at most SECONDS, default 60) until ffprobe
# reads the video of the stream URL (RTSP, or HLS over http), then prints "CODEC WIDTHxHEIGHT" from
# ffprobe's JSON. Exits 1 if nothing could be read in time. Shared by
# scripts/release-test.sh and scripts/docker.sh.
set -euo pipefail
url=$1
deadline=$((SECONDS + ${2:-60}))
transport=()
[[ $url == rtsp://* ]] && transport=(-rtsp_transport tcp)
while ((SECONDS < deadline)); do
  if probe=$(timeout 20 ffprobe -v error "${transport[@]}" -select_streams v:0 \
      -show_entries stream=codec_name,width,height -of json "$url" 2>/dev/null) &&
    [[ -n $(jq -r '.streams[0].codec_name // empty' <<<"$probe") ]]; then
    jq -r '"\(.streams[0].codec_name) \(.streams[0].width)x\(.streams[0].height)"' <<<"$probe"
    exit 0
  fi
  sleep 1
done
echo "[probe-sub.sh] ffprobe could not read $url within ${2:-60} s" >&2
exit 1
