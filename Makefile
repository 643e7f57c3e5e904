# camgate — see README.md. Every target that compiles Go code runs through
# scripts/with-libav.sh, which builds FFmpeg 7.1 once (about 1.5 minutes) and
# points cgo at it.

GO        ?= go
WITH_LIBAV = scripts/with-libav.sh
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    = -X main.version=$(VERSION)

.PHONY: all build run test test-deps fuzz bench bench-vs-ffmpeg libav ffmpeg-program vet clean

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

## test: everything, from a fresh machine: libav, test clients, go vet, go test
## (the 2-minute soak included), then each fuzz target for 10 s
test: libav test-deps
	$(WITH_LIBAV) $(GO) vet ./...
	$(WITH_LIBAV) $(GO) test -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=10s

## fuzz: each fuzz target for FUZZTIME (default 10s); the seed corpora also run in `make test`
FUZZTIME ?= 10s
fuzz: libav
	@set -e; for t in transcode:FuzzDecoder rtsp:FuzzDepacketize rtsp:FuzzCameraDescribe pipeline:FuzzParseConfig pipeline:FuzzAPIBody; do \
		echo "== $${t#*:}"; $(WITH_LIBAV) $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}/; done

## bench: the Go benchmarks of the hot loop
bench: libav
	$(WITH_LIBAV) $(GO) test -run '^$$' -bench . -benchmem -benchtime 300x ./bench/ ./pipeline/

## ffmpeg-program: the ffmpeg program from the same FFmpeg source, for comparisons
ffmpeg-program:
	scripts/ffmpeg.sh --programs

## bench-vs-ffmpeg: the same transcode in camgate and in the ffmpeg program
bench-vs-ffmpeg: libav
	$(WITH_LIBAV) $(GO) run ./bench/vsffmpeg -ffmpeg "$$(scripts/ffmpeg.sh --programs)"

vet:
	$(WITH_LIBAV) $(GO) vet ./...

clean:
	rm -rf bin dist
