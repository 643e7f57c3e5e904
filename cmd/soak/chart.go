package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// point is one resource sample of the run.
type point struct {
	t float64 // seconds since the first fault
	r resources
}

// writeSVG draws fds, goroutines and RSS over time, each on its own scale, as
// an SVG a browser shows.
func writeSVG(w io.Writer, pts []point, title string) error {
	const width, height, pad = 900, 420, 50
	if len(pts) < 2 {
		return fmt.Errorf("chart: %d samples", len(pts))
	}
	tmax := pts[len(pts)-1].t
	series := []struct {
		name, color string
		v           func(resources) float64
	}{
		{"open fds", "#1f77b4", func(r resources) float64 { return float64(r.FDs) }},
		{"goroutines", "#2ca02c", func(r resources) float64 { return float64(r.Goroutines) }},
		{"RSS (MB)", "#d62728", func(r resources) float64 { return float64(r.RSSKB) / 1024 }},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="20" font-size="14">%s</text>`+"\n", pad, title)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`+"\n", pad, height-pad, width-pad, height-pad)
	fmt.Fprintf(&b, `<text x="%d" y="%d">0 s</text><text x="%d" y="%d" text-anchor="end">%.0f s</text>`+"\n", pad, height-pad+16, width-pad, height-pad+16, tmax)
	for i, s := range series {
		hi := 0.0
		for _, p := range pts {
			hi = max(hi, s.v(p.r))
		}
		hi *= 1.1 // each series scaled to its own maximum, with headroom
		var path strings.Builder
		for k, p := range pts {
			x := pad + (width-2*pad)*p.t/max(tmax, 1)
			y := float64(height-pad) - float64(height-2*pad)*s.v(p.r)/max(hi, 1)
			cmd := "L"
			if k == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f,%.1f ", cmd, x, y)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", path.String(), s.color)
		last := pts[len(pts)-1].r
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s: %.0f → %.0f (axis top %.0f)</text>`+"\n",
			pad+10, 40+16*i, s.color, s.name, s.v(pts[0].r), s.v(last), hi)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// chartFromCSV draws the chart of an earlier run from its -csv file.
func chartFromCSV(csvPath, svgPath string) error {
	if svgPath == "" {
		return errors.New("-chart-from needs -svg")
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	var pts []point
	for _, row := range rows[1:] {
		if len(row) < 6 {
			continue
		}
		v := make([]float64, 6)
		for i := range v {
			v[i], _ = strconv.ParseFloat(row[i], 64)
		}
		pts = append(pts, point{v[0], resources{FDs: int(v[1]), Goroutines: int(v[2]), Threads: int(v[3]), RSSKB: int(v[4]), HeapKB: int(v[5])}})
	}
	out, err := os.Create(svgPath)
	if err != nil {
		return err
	}
	defer out.Close()
	return writeSVG(out, pts, "camgate soak: "+csvPath)
}
