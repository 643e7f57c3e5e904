package main

import (
	"fmt"
	"math/rand"
	"time"
)

// A fault is something that happens to cameras and viewers in real life.
type faultKind int

const (
	faultReboot      faultKind = iota // the camera restarts: connections refused for a while
	faultStall                        // the camera keeps its session but sends nothing
	faultGarbage                      // the camera sends random payloads
	faultResolution                   // the camera switches to another resolution in band
	faultSlow                         // the camera plays at half speed
	faultReaders                      // the camera's viewers disconnect and come back
	faultReconfigure                  // the operator removes the camera and adds it again
	numFaultKinds
)

var faultNames = [...]string{"reboot", "stall", "garbage", "resolution", "slow", "readers", "reconfigure"}

func (k faultKind) String() string { return faultNames[k] }

// fault is one injected fault and what became of it.
type fault struct {
	kind      faultKind
	camera    int
	start     time.Time
	end       time.Time     // when the cause was removed
	baseline  uint64        // sub frames of the camera's reader at the end
	wbaseline uint64        // the same of its WebRTC reader, if it has one
	recovery  time.Duration // from end to the first new picture on the sub stream
	recovered bool
}

// plan draws a fault kind and how long it lasts.
func plan(rng *rand.Rand) (faultKind, time.Duration) {
	k := faultKind(rng.Intn(int(numFaultKinds)))
	switch k {
	case faultReboot:
		return k, time.Duration(300+rng.Intn(1500)) * time.Millisecond
	case faultStall:
		// Sometimes shorter than the stall timeout (a hiccup), mostly longer.
		return k, time.Duration(500+rng.Intn(3500)) * time.Millisecond
	case faultGarbage, faultSlow:
		return k, time.Duration(500+rng.Intn(1500)) * time.Millisecond
	}
	return k, 0
}

func (f *fault) String() string {
	return fmt.Sprintf("%s of camera %d", f.kind, f.camera)
}
