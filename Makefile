# camgate — see README.md. Every target that compiles Go code runs through
# scripts/with-libav.sh, which builds FFmpeg 7.1 once (about 1.5 minutes) and
# points cgo at it.

GO        ?= go
WITH_LIBAV = scripts/with-libav.sh
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    = -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build run test test-deps fuzz bench bench-settings bench-vs-ffmpeg libav ffmpeg-program vet clean

all: build

## libav: build (or find in the cache) the FFmpeg 7.1 libraries
libav:
	scripts/ffmpeg.sh >/dev/null

## build: the camgate and fakecam binaries, into bin/
build:
	$(WITH_LIBAV) $(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

## run: the gateway; with no camgate.yml, the built-in demo camera
run: build
	bin/camgate run $(if $(wildcard camgate.yml),-c camgate.yml,)

## test-deps: third-party clients the tests use (Debian's ffmpeg/ffprobe)
test-deps:
	scripts/test-deps.sh

## The packages whose tests take longest, first: go test starts test binaries
## in the order given, two at a time here, so the longest (mostly waiting on
## cameras that reboot) overlaps the rest instead of running last.
SLOW_PACKAGES = ./pipeline/ ./cmd/soak/ ./cmd/camgate/ ./hls/

## test: everything, from a fresh machine: libav, test clients, go vet, go test
## (the 2-minute soak included), then each fuzz target for a fixed number of
## executions (about 10 s each here)
test: libav test-deps
	$(WITH_LIBAV) $(GO) vet ./...
	$(WITH_LIBAV) $(GO) test -count=1 -timeout 20m $(SLOW_PACKAGES) ./...
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory release-test

## fuzz: each fuzz target, for its count of executions below, or for FUZZTIME
## when given (`make fuzz FUZZTIME=10m`). The counts are there because a
## duration can fail by itself: Go 1.26's fuzz coordinator reports "context
## deadline exceeded" when the time runs out while a worker is busy
## (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline to race.
## The seed corpora also run in plain `go test`.
FUZZ_TARGETS = transcode:FuzzDecoder:4000x rtsp:FuzzDepacketize:300000x \
	rtsp:FuzzCameraDescribe:40000x conf:FuzzParseConfig:40000x conf:FuzzAPIBody:40000x \
	conf:FuzzTLSSettings:40000x internal/certfile:FuzzParse:40000x \
	conf:FuzzUsers:40000x internal/viewers:FuzzParseHash:200000x \
	api:FuzzRequestGuard:100000x
fuzz: libav
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$${rest#*:}; \
		echo "== $$name"; $(WITH_LIBAV) $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $${FUZZTIME:-$$n} ./$$pkg/; done

## bench: the Go benchmarks of the hot loop
bench: libav
	$(WITH_LIBAV) $(GO) test -run '^$$' -bench . -benchmem -benchtime 300x ./bench/ ./pipeline/

## bench-settings: `camgate bench`, the default matrix of sub-stream settings, with its files in bin/
bench-settings: build
	bin/camgate bench -csv bin/bench.csv -json bin/bench.json -chart bin/bench.svg

## ffmpeg-program: the ffmpeg program from the same FFmpeg source, for comparisons
ffmpeg-program:
	scripts/ffmpeg.sh --programs

## bench-vs-ffmpeg: the same transcode in camgate and in the ffmpeg program
bench-vs-ffmpeg: libav
	$(WITH_LIBAV) $(GO) run ./bench/vsffmpeg -ffmpeg "$$(scripts/ffmpeg.sh --programs)"

vet:
	$(WITH_LIBAV) $(GO) vet ./...

COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
RELEASE    = dist/camgate-linux-$(shell $(GO) env GOARCH 2>/dev/null || echo amd64)
IMAGE     ?= camgate
.PHONY: release release-test verify-unit docker docker-test

## release: dist/camgate-linux-amd64, one file: FFmpeg and x264 linked
## statically (only the C library stays dynamic), stripped, version and commit
## stamped. Always our own FFmpeg build, never a system libav (shared). -a:
## Go's build cache does not notice when pkg-config's --libs output changes
## (seen here: a cached package kept linking x264 the old way), and a release
## must link what the .pc files say today; it costs about 40 s.
release:
	FFMPEG_SOURCE=build $(WITH_LIBAV) $(GO) build -a -trimpath \
		-ldflags '-s -w $(LDFLAGS)' -o $(RELEASE) ./cmd/camgate
	@ls -l $(RELEASE) | awk '{printf "%s: %.1f MB\n", $$NF, $$5/1e6}'

## release-test: the release binary needs nothing but the C library (ldd), and
## runs the demo in a clean Debian root with no FFmpeg and no x264, read by the
## host's ffprobe; the systemd unit passes systemd-analyze verify
release-test: release test-deps verify-unit
	scripts/release-test.sh $(RELEASE)

## verify-unit: deploy/camgate.service passes systemd-analyze verify
verify-unit:
	scripts/verify-unit.sh deploy/camgate.service

## docker: the container image (Dockerfile); needs a Docker engine
docker:
	scripts/docker.sh build $(IMAGE)

## docker-test: runs the image's demo and reads its sub stream with ffprobe
docker-test: docker test-deps
	scripts/docker.sh test $(IMAGE)

clean:
	rm -rf bin dist
