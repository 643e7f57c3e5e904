package main

import (
	"fmt"
	"runtime"
	"time"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

// floors are what decoding costs one camera, alone: the least any design
// that decodes each camera once can spend on it.
type floors struct {
	main          float64 // cores: decoding the clip at its frame rate
	width, height int     // the clip's pictures
	sub           float64 // with -camera-sub: decoding the camera's sub stream at 10 fps
}

// floorTime is how long each floor is measured.
const floorTime = 5 * time.Second

func measureFloors(o *options) (floors, error) {
	var f floors
	var err error
	if f.main, f.width, f.height, err = decodeFloor(o.clip, o.clipFPS, min(o.duration, floorTime)); err != nil {
		return f, fmt.Errorf("decode floor: %w", err)
	}
	if o.subClip != "" {
		if f.sub, _, _, err = decodeFloor(o.subClip, subFPS, min(o.duration, floorTime)); err != nil {
			return f, fmt.Errorf("decode floor of the sub stream: %w", err)
		}
	}
	return f, nil
}

// decodeFloor decodes the clip in a loop at fps pictures per second of wall
// time, for d, on one thread, with camgate's decoder settings (one thread,
// deblocking on keyframes only), and returns the CPU seconds per second it
// took and the pictures' size. Nothing else runs in the process meanwhile.
func decodeFloor(path string, fps int, d time.Duration) (cores float64, w, h int, err error) {
	clip, err := fakecam.LoadClip(path)
	if err != nil {
		return 0, 0, 0, err
	}
	c := codec.H264
	if clip.HEVC {
		c = codec.H265
	}
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: c, Threads: 1, SkipLoopFilter: true})
	if err != nil {
		return 0, 0, 0, err
	}
	defer dec.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pictures := 0
	emit := func(f *transcode.Frame) error {
		pictures++
		w, h = f.Width(), f.Height()
		return nil
	}
	period := time.Second / time.Duration(fps)
	var au codec.AccessUnit
	start, cpu0 := time.Now(), bench.ProcessCPUTime()
	for i := 0; time.Since(start) < d; i++ {
		nalus := clip.AccessUnits[i%len(clip.AccessUnits)]
		au = codec.AccessUnit{NALUs: nalus, PTS: time.Duration(i) * period, Keyframe: codec.IsKeyframe(c, nalus)}
		if err := dec.Decode(&au, emit); err != nil {
			return 0, 0, 0, err
		}
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * period)))
	}
	cpu, wall := bench.ProcessCPUTime()-cpu0, time.Since(start)
	if pictures == 0 {
		return 0, 0, 0, fmt.Errorf("%s: no picture decoded", path)
	}
	return cpu.Seconds() / wall.Seconds(), w, h, nil
}
