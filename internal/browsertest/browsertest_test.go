package browsertest

import (
	"testing"
	"time"
)

// TestRun checks the page's round trip: a script that computes something
// only a browser would (the canvas's pixel after drawing) and posts it.
func TestRun(t *testing.T) {
	var res struct {
		Sum   int    `json:"sum"`
		Pixel []int  `json:"pixel"`
		Lib   string `json:"lib"`
	}
	Run(t, Page{
		HTML: `<!doctype html><canvas id=c width=4 height=4></canvas><script src="lib.js"></script><script>
const ctx = document.getElementById('c').getContext('2d');
ctx.fillStyle = 'rgb(10,200,30)'; ctx.fillRect(0, 0, 4, 4);
fetch('/result', {method: 'POST', body: JSON.stringify({sum: 2 + 3, pixel: Array.from(ctx.getImageData(1, 1, 1, 1).data), lib: libName})});
</script>`,
		Files: map[string][]byte{"lib.js": []byte(`var libName = "lib";`)},
	}, 60*time.Second, &res)
	if res.Sum != 5 || res.Lib != "lib" || len(res.Pixel) != 4 || res.Pixel[0] != 10 || res.Pixel[1] != 200 || res.Pixel[2] != 30 {
		t.Fatalf("page answered %+v", res)
	}
}
