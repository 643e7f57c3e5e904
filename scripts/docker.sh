#!/usr/bin/env bash
# docker.sh build IMAGE — builds the container image from the Dockerfile.
# docker.sh test IMAGE  — runs the image's default command (the demo), waits
#                         until the host's ffprobe reads its sub stream as H.264
#                         640x360 and Docker reports the container healthy,
#                         then removes it.
# Both need a Docker engine. Without one, `make release release-test` checks
# the same binary the image holds, in a clean Debian root.
set -euo pipefail
log() { printf '[docker.sh] %s\n' "$*" >&2; }
die() { printf '[docker.sh] error: %s\n' "$*" >&2; exit 1; }

cmd=${1:?usage: docker.sh build|test IMAGE}
image=${2:?usage: docker.sh build|test IMAGE}
here=$(cd "$(dirname "$0")" && pwd)

command -v docker >/dev/null ||
  die "no docker command on this machine: install a Docker engine to build or run the image. Without one, \`make release release-test\` checks the same binary in a clean Debian root."
docker info >/dev/null 2>&1 ||
  die "\`docker info\` fails: no Docker engine is reachable (is dockerd running, and may this user use it?). Without one, \`make release release-test\` checks the same binary in a clean Debian root."

case $cmd in
build)
  cd "$here/.."
  docker build -t "$image" \
    --build-arg VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)" \
    --build-arg COMMIT="$(git rev-parse --short=12 HEAD 2>/dev/null || true)" .
  ;;
test)
  port=${DOCKER_TEST_PORT:-18554}
  name=camgate-test-$$
  trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
  # The host reads from outside the container: to camgate, not loopback.
  docker run -d --name "$name" -p "127.0.0.1:$port:8554" -e CAMGATE_ANONYMOUS=read "$image" >/dev/null
  url=rtsp://127.0.0.1:$port/demo/sub
  got=$("$here/probe-sub.sh" "$url" 60) || { docker logs --tail 20 "$name" >&2; die "ffprobe could not read $url"; }
  log "ffprobe $url: $got"
  [[ $got == "h264 640x360" ]] || die "sub stream is $got, want h264 640x360"
  # The HEALTHCHECK (camgate health) first runs 15 s after the start.
  health=""
  for _ in $(seq 60); do
    health=$(docker inspect -f '{{.State.Health.Status}}' "$name")
    [[ $health == healthy ]] && break
    sleep 1
  done
  [[ $health == healthy ]] || die "the container is $health, not healthy, after 60 s"
  docker exec "$name" camgate version | grep -q GPL || die "camgate version in the image lacks the GPL statement"
  log "PASS: $image serves the demo's sub stream and is healthy"
  ;;
*) die "unknown command $cmd (build or test)" ;;
esac
