package procstat

import (
	"os"
	"testing"
)

func TestSample(t *testing.T) {
	a := Sample()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	b := Sample()
	f.Close()
	if b.FDs != a.FDs+1 {
		t.Errorf("fds %d then %d with one more file open", a.FDs, b.FDs)
	}
	if a.Goroutines < 1 || a.Threads < 1 || a.RSSKB < 1000 {
		t.Errorf("implausible sample %+v", a)
	}
}
