#!/usr/bin/env bash
# kill9-recovery.sh: how long every stream is gone when camgate dies in a way
# it cannot recover from in-process (a crash inside libav, the OOM killer,
# kill -9), and the service manager starts it again.
#
# It starts camgate (the demo, or a configuration of N fake cameras in their
# own process plus a grid of them), waits until every stream plays, kills
# camgate with SIGKILL, waits RestartSec as systemd would (read from
# deploy/camgate.service), starts it again, and times until every stream
# (each camera's main and sub, and the grid) decodes a picture with Debian's
# ffmpeg again. Bounded: gives up after 120 s.
#
#   scripts/kill9-recovery.sh            # the demo (4 cameras, 1 grid)
#   scripts/kill9-recovery.sh 8          # 8 fake cameras from cmd/fakecam and a grid
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-0}
export PKG_CONFIG_PATH=$(scripts/ffmpeg.sh 2>/dev/null) CGO_ENABLED=1
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/camgate" ./cmd/camgate
go build -o "$work/fakecam" ./cmd/fakecam

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
restart_sec=$(sed -n 's/^RestartSec=\([0-9.]*\)s*$/\1/p' deploy/camgate.service)
rtsp_port=$(freeport)
api_port=$(freeport)
args=(run -rtsp "127.0.0.1:$rtsp_port" -api "127.0.0.1:$api_port" -webrtc off -hls off)

paths=()
if [ "$N" -gt 0 ]; then
	cam_port=$(freeport)
	"$work/fakecam" -listen "127.0.0.1:$cam_port" -n "$N" -size 640x360 -audio=false >"$work/fakecam.log" 2>&1 &
	pids+=($!)
	for i in $(seq 0 $((N - 1))); do # the cameras listen before camgate starts
		for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$((cam_port + i))") 2>/dev/null && break; sleep 0.1; done
	done
	{
		echo "rtsp: {udp_rtp: off}"
		echo "cameras:"
		names=()
		for i in $(seq 1 "$N"); do
			echo "  cam$i: {url: rtsp://127.0.0.1:$((cam_port + i - 1))/cam$i, sub: {size: 320x180, fps: 10}}"
			names+=("cam$i")
			paths+=("cam$i/main" "cam$i/sub")
		done
		echo "grids:"
		echo "  wall: {cameras: [$(IFS=,; echo "${names[*]}")], size: 640x360, fps: 10}"
	} >"$work/camgate.yml"
	paths+=("grid/wall")
	args+=(-c "$work/camgate.yml")
	what="$N fake cameras (cmd/fakecam, 640x360) and a grid"
else
	for c in demo garden street garage; do paths+=("$c/main" "$c/sub"); done
	paths+=("grid/demo")
	what="the demo (4 cameras and a grid)"
	cd "$work" # no camgate.yml here: the demo
fi

start() {
	"$work/camgate" "${args[@]}" >>"$work/camgate.log" 2>&1 &
	camgate=$!
	pids+=($camgate)
}

# plays URL: ffmpeg decodes one picture of it.
plays() {
	timeout 10 ffmpeg -nostdin -v error -rtsp_transport tcp -analyzeduration 1000000 -probesize 500000 -i "rtsp://127.0.0.1:$rtsp_port/$1" -frames:v 1 -f null - >/dev/null 2>&1
}

# all_play waits until every path plays (each polled in parallel), bounded.
# Readers start once the RTSP port accepts connections: a storm of ffmpeg
# processes would slow the start it measures.
all_play() {
	local deadline=$((SECONDS + 120)) jobs=()
	until (exec 3<>"/dev/tcp/127.0.0.1/$rtsp_port") 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
	for p in "${paths[@]}"; do
		( until plays "$p"; do [ $SECONDS -lt $deadline ] || exit 1; sleep 0.25; done ) &
		jobs+=($!)
	done
	local ok=0
	for j in "${jobs[@]}"; do wait "$j" || ok=1; done
	return $ok
}

now() { date +%s.%N; }

start
all_play || { echo "streams did not play at the first start"; tail -20 "$work/camgate.log"; exit 1; }
sleep 3 # running for a while
t0=$(now)
kill -9 "$camgate"
wait "$camgate" 2>/dev/null || true
sleep "$restart_sec" # the service manager's RestartSec
t1=$(now)
start
all_play || { echo "streams did not play again within 120 s"; tail -20 "$work/camgate.log"; exit 1; }
t2=$(now)
printf '%s, %d streams: kill -9 → every stream plays again: %.2f s (RestartSec %ss + %.2f s from the new start)\n' \
	"$what" "${#paths[@]}" "$(echo "$t2 - $t0" | bc)" "$restart_sec" "$(echo "$t2 - $t1" | bc)"
