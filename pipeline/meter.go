package pipeline

import "sync"

// meter turns a growing counter into rates over the last 1 s and 10 s. Its
// owner calls sample once a second.
type meter struct {
	mu      sync.Mutex
	history [11]uint64 // counter values, one per second, newest at head
	head, n int
}

func (m *meter) sample(v uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.head = (m.head + 1) % len(m.history)
	m.history[m.head] = v
	if m.n < len(m.history) {
		m.n++
	}
}

// rates returns the per-second rate over the last second and averaged over
// the last ten (or as many as have been sampled).
func (m *meter) rates() (last1s, last10s float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n < 2 {
		return 0, 0
	}
	cur := m.history[m.head]
	prev := m.history[(m.head+len(m.history)-1)%len(m.history)]
	span := m.n - 1
	oldest := m.history[(m.head+len(m.history)-span)%len(m.history)]
	return float64(cur - prev), float64(cur-oldest) / float64(span)
}
