package pipeline

import "fmt"

// State is where a camera is in its life.
//
//	connecting → ready → (stalled | failed) → backoff → connecting …
//	any state → stopped
type State int

// Camera states.
const (
	StateConnecting State = iota // dialing, DESCRIBE, SETUP, PLAY, waiting for the first picture
	StateReady                   // pictures are flowing
	StateStalled                 // the session was alive but sent no video for stall_timeout
	StateFailed                  // the session could not be opened or broke
	StateBackoff                 // waiting before the next attempt
	StateStopped                 // stopped for good
)

var stateNames = [...]string{"connecting", "ready", "stalled", "failed", "backoff", "stopped"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// MarshalText makes states readable in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown state %q", b)
}
