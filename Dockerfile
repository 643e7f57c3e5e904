# camgate's container image: `make docker` (or `docker build -t camgate .`).
#
# The builder runs the same scripts as a local build: scripts/ffmpeg.sh builds
# FFmpeg 7.1 from Debian 13's own source package, and `make release` links
# dist/camgate-linux-<arch> against it, FFmpeg and x264 static. The final stage
# holds that one binary, CA certificates and time zone data.
#
# The image is GPL-2.0-or-later as a whole: the binary links x264 and an FFmpeg
# built with --enable-gpl (camgate's own code is MIT). See README.md, License.

# ---- builder --------------------------------------------------------------------
FROM debian:trixie AS build
# Debian's Go is older than go.mod asks for; with GOTOOLCHAIN=auto it fetches
# the exact toolchain go.mod names from the Go module proxy (checksummed).
ENV GOTOOLCHAIN=auto DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
        golang-go make git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# FFmpeg first, in its own layer: it changes only when the scripts do.
# FFMPEG_SOURCE=build: never trixie's shared libav, always the static build.
COPY scripts/ scripts/
RUN FFMPEG_SOURCE=build scripts/ffmpeg.sh
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# No .git in the build context (.dockerignore): the version comes in as
# arguments (scripts/docker.sh passes git describe and the commit).
ARG VERSION=dev
ARG COMMIT=
RUN make release VERSION="$VERSION" COMMIT="$COMMIT" \
    && cp "dist/camgate-linux-$(go env GOARCH)" /camgate \
    && /camgate version

# ---- the image ------------------------------------------------------------------
FROM debian:trixie-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --uid 10001 --home-dir /var/lib/camgate \
        --shell /usr/sbin/nologin camgate \
    && install -d -o camgate -g camgate -m 0750 /etc/camgate /var/lib/camgate
COPY --from=build /camgate /usr/local/bin/camgate
USER camgate
# `camgate run` and `camgate health` read camgate.yml from the working folder:
# mount a configuration at /etc/camgate/camgate.yml (better: a folder at
# /etc/camgate, so that API changes can be saved with an atomic rename). With
# none, the demo runs.
WORKDIR /etc/camgate
# RTSP (TCP), RTP/RTCP for UDP readers, and the API and dashboard. The API
# listens on the container's loopback unless CAMGATE_API_LISTEN=0.0.0.0:9997
# is given, which camgate accepts only together with CAMGATE_API_TOKEN.
EXPOSE 8554/tcp 8000/udp 8001/udp 8888/tcp 8889/tcp 8189/udp 8189/tcp 9997/tcp
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
    CMD ["camgate", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["camgate"]
CMD ["run"]
