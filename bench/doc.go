// Package bench measures camgate's hot loop: decode, scale and encode, each on
// its own and chained, with the settings camera streams use.
//
// Run the Go benchmarks with `make bench`. The side-by-side comparison with the
// ffmpeg program built from the same libav is `make bench-vs-ffmpeg`
// (bench/vsffmpeg).
package bench
