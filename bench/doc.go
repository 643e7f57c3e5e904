// Package bench measures camgate's hot loop: decode, scale and encode, each on
// its own and chained, with the settings camera streams use.
//
// Its library is `camgate bench`: a Matrix of sub-stream settings, a Runner
// that measures each Setting on one Input (CPU per stage, cameras per core,
// bitrate, PSNR and SSIM against a reference, encode latency, and optionally
// the same chain in the ffmpeg program), the Pareto front, a recommendation
// and the reports (table, CSV, JSON, SVG chart).
//
// Run the Go benchmarks with `make bench`. The side-by-side comparison with the
// ffmpeg program built from the same libav is `make bench-vs-ffmpeg`
// (bench/vsffmpeg).
package bench
