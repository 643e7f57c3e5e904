package bench

import (
	"fmt"
	"sort"
)

// Point is a setting seen as two scores, both better when higher: cameras
// per machine (X) and picture quality (Y).
type Point struct{ X, Y float64 }

// ParetoFront marks the points no other point beats: none has an X and a Y at
// least as high, one of them strictly higher. Equal points are both on the
// front.
func ParetoFront(pts []Point) []bool {
	front := make([]bool, len(pts))
	for i, p := range pts {
		front[i] = true
		for j, q := range pts {
			if j != i && q.X >= p.X && q.Y >= p.Y && (q.X > p.X || q.Y > p.Y) {
				front[i] = false
				break
			}
		}
	}
	return front
}

// MarkPareto sets Pareto on the results on the front of cameras per machine
// against mean PSNR.
func MarkPareto(rs []Result) {
	pts := make([]Point, len(rs))
	for i, r := range rs {
		pts[i] = Point{r.StreamsPerMachine, r.PSNR}
	}
	for i, on := range ParetoFront(pts) {
		rs[i].Pareto = on
	}
}

// Goals are the orders a table can be sorted in.
var Goals = []string{"cameras", "quality", "bitrate"}

// SortByGoal orders results best first: most cameras per machine, highest
// quality (PSNR, then SSIM), or lowest bitrate. Ties go to the other goals.
func SortByGoal(rs []Result, goal string) error {
	var less func(a, b *Result) bool
	switch goal {
	case "cameras":
		less = func(a, b *Result) bool {
			if a.StreamsPerMachine != b.StreamsPerMachine {
				return a.StreamsPerMachine > b.StreamsPerMachine
			}
			return a.PSNR > b.PSNR
		}
	case "quality":
		less = func(a, b *Result) bool {
			if a.PSNR != b.PSNR {
				return a.PSNR > b.PSNR
			}
			if a.SSIM != b.SSIM {
				return a.SSIM > b.SSIM
			}
			return a.StreamsPerMachine > b.StreamsPerMachine
		}
	case "bitrate":
		less = func(a, b *Result) bool {
			if a.Bitrate != b.Bitrate {
				return a.Bitrate < b.Bitrate
			}
			return a.PSNR > b.PSNR
		}
	default:
		return fmt.Errorf("unknown goal %q (one of cameras, quality, bitrate)", goal)
	}
	sort.SliceStable(rs, func(i, j int) bool { return less(&rs[i], &rs[j]) })
	return nil
}

// Recommend returns the setting with the most cameras per machine whose mean
// PSNR is at least minPSNR and whose bitrate is at most maxBitrate (0: any),
// the higher quality breaking a tie; false if none qualifies.
func Recommend(rs []Result, minPSNR, maxBitrate float64) (Result, bool) {
	var best Result
	found := false
	for _, r := range rs {
		if r.PSNR < minPSNR || (maxBitrate > 0 && r.Bitrate > maxBitrate) {
			continue
		}
		if !found || r.StreamsPerMachine > best.StreamsPerMachine ||
			(r.StreamsPerMachine == best.StreamsPerMachine && r.PSNR > best.PSNR) {
			best, found = r, true
		}
	}
	return best, found
}
