package transcode

// Blit copies the w×h rectangle of src at (sx, sy) into dst at (dx, dy).
// Coordinates and sizes are rounded down to even numbers (4:2:0 chroma), and
// the rectangle is clipped to both pictures. It allocates nothing.
func Blit(dst *Frame, dx, dy int, src *Frame, sx, sy, w, h int) {
	dx, dy, sx, sy, w, h = dx&^1, dy&^1, sx&^1, sy&^1, w&^1, h&^1
	if sx < 0 {
		w, dx, sx = w+sx, dx-sx, 0
	}
	if sy < 0 {
		h, dy, sy = h+sy, dy-sy, 0
	}
	if dx < 0 {
		w, sx, dx = w+dx, sx-dx, 0
	}
	if dy < 0 {
		h, sy, dy = h+dy, sy-dy, 0
	}
	w = min(w, src.Width()-sx, dst.Width()-dx)
	h = min(h, src.Height()-sy, dst.Height()-dy)
	if w <= 0 || h <= 0 {
		return
	}
	for p := 0; p < 3; p++ {
		sp, ss := src.Plane(p)
		dp, ds := dst.Plane(p)
		x0, y0, x1, y1, pw, ph := sx, sy, dx, dy, w, h
		if p > 0 {
			x0, y0, x1, y1, pw, ph = sx/2, sy/2, dx/2, dy/2, w/2, h/2
		}
		for r := 0; r < ph; r++ {
			copy(dp[(y1+r)*ds+x1:(y1+r)*ds+x1+pw], sp[(y0+r)*ss+x0:(y0+r)*ss+x0+pw])
		}
	}
}

// FillRect paints the w×h rectangle at (x, y) with one Y'CbCr colour, clipped
// to the picture, coordinates rounded down to even numbers.
func FillRect(f *Frame, x, y, w, h int, yv, cb, cr byte) {
	x, y, w, h = x&^1, y&^1, w&^1, h&^1
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+w, f.Width()), min(y+h, f.Height())
	if x0 >= x1 || y0 >= y1 {
		return
	}
	for p, v := range [3]byte{yv, cb, cr} {
		pl, ps := f.Plane(p)
		a, b, c, d := x0, y0, x1, y1
		if p > 0 {
			a, b, c, d = x0/2, y0/2, x1/2, y1/2
		}
		for r := b; r < d; r++ {
			line := pl[r*ps+a : r*ps+c]
			for i := range line {
				line[i] = v
			}
		}
	}
}

// MakeWritable makes sure that writing into f does not change a picture an
// encoder still holds; it copies only if one does.
func (f *Frame) MakeWritable() error { return f.f.MakeWritable() }
