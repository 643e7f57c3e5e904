package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
)

// presetOrder is x264's presets from the fastest, the legend's order.
var presetOrder = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}

// presetColors tell presets apart in the chart, fast (warm) to slow (cool).
var presetColors = map[string]string{
	"ultrafast": "#d62728", "superfast": "#ff7f0e", "veryfast": "#bcbd22", "faster": "#2ca02c",
	"fast": "#17becf", "medium": "#1f77b4", "slow": "#9467bd", "slower": "#8c564b", "veryslow": "#7f7f7f",
}

// WriteChart draws cameras per machine against mean PSNR, one point per
// setting coloured by preset, the Pareto front as a line through its points
// (labelled), the minimum PSNR as a dashed line and the recommended setting
// ringed. The SVG opens in any browser.
func WriteChart(w io.Writer, rs []Result, title string, minPSNR float64, recommended string) error {
	if len(rs) == 0 {
		return fmt.Errorf("chart: no results")
	}
	const width, height, left, right, top, bottom = 980, 600, 70, 170, 40, 50
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := minPSNR, minPSNR
	for _, r := range rs {
		xmin, xmax = math.Min(xmin, r.StreamsPerMachine), math.Max(xmax, r.StreamsPerMachine)
		ymin, ymax = math.Min(ymin, r.PSNR), math.Max(ymax, r.PSNR)
	}
	xt, xlo, xhi := ticks(math.Min(0, xmin), xmax)
	yt, ylo, yhi := ticks(math.Floor(ymin-1), math.Ceil(ymax+1))
	px := func(x float64) float64 { return left + (x-xlo)/(xhi-xlo)*(width-left-right) }
	py := func(y float64) float64 { return height - bottom - (y-ylo)/(yhi-ylo)*(height-top-bottom) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="24" font-size="15">%s</text>`+"\n", left, html.EscapeString(title))
	for _, x := range xt {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%g</text>`+"\n",
			px(x), top, px(x), height-bottom, px(x), height-bottom+16, x)
	}
	for _, y := range yt {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n",
			left, py(y), width-right, py(y), left-6, py(y)+4, y)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", left, top, width-left-right, height-top-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">cameras per machine (real time, decode + sub stream)</text>`+"\n", (left+width-right)/2, height-12)
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">PSNR dB (mean, against the source)</text>`+"\n", (top+height-bottom)/2)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999" stroke-dasharray="6 4"/><text x="%d" y="%.1f" fill="#666">min %.0f dB</text>`+"\n",
		left, py(minPSNR), width-right, py(minPSNR), left+4, py(minPSNR)-4, minPSNR)

	var front []Result
	for _, r := range rs {
		if r.Pareto {
			front = append(front, r)
		}
	}
	sort.Slice(front, func(i, j int) bool { return front[i].StreamsPerMachine < front[j].StreamsPerMachine })
	if len(front) > 1 {
		var pts []string
		for _, r := range front {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(r.StreamsPerMachine), py(r.PSNR)))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#333" stroke-width="1.5"/>`+"\n", strings.Join(pts, " "))
	}
	for _, r := range rs {
		color := presetColors[r.Setting.encoderConfig().Preset]
		if color == "" {
			color = "#000"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s" fill-opacity="0.8"><title>%s: %.1f cameras, %.2f dB, %.0f kbit/s</title></circle>`+"\n",
			px(r.StreamsPerMachine), py(r.PSNR), color, html.EscapeString(r.Label), r.StreamsPerMachine, r.PSNR, r.Bitrate/1000)
		if r.Label == recommended {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="10" fill="none" stroke="#000" stroke-width="2"/>`+"\n", px(r.StreamsPerMachine), py(r.PSNR))
		}
	}
	for _, r := range front {
		// Labels near the right edge go to the left of their point.
		x, anchor := px(r.StreamsPerMachine)+7, "start"
		if x > width-right-200 {
			x, anchor = px(r.StreamsPerMachine)-7, "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#333" text-anchor="%s">%s</text>`+"\n", x, py(r.PSNR)-7, anchor, html.EscapeString(r.Label))
	}
	// Legend: presets present, the front and the recommendation.
	y := top + 10
	used := map[string]bool{}
	for _, r := range rs {
		used[r.Setting.encoderConfig().Preset] = true
	}
	for _, p := range presetOrder {
		if !used[p] {
			continue
		}
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", width-right+20, y, presetColors[p], width-right+32, y+4, p)
		y += 20
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-width="1.5"/><text x="%d" y="%d">Pareto front</text>`+"\n", width-right+12, y, width-right+28, y, width-right+32, y+4)
	if recommended != "" {
		y += 20
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="8" fill="none" stroke="#000" stroke-width="2"/><text x="%d" y="%d">recommended</text>`+"\n", width-right+20, y, width-right+32, y+4)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ticks returns round tick values covering [lo, hi] and the axis range.
func ticks(lo, hi float64) (ts []float64, axisLo, axisHi float64) {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	axisLo, axisHi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	for v := axisLo; v <= axisHi+step/2; v += step {
		ts = append(ts, math.Round(v/step)*step)
	}
	return ts, axisLo, axisHi
}
