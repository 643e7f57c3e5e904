package viewers

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// maxThrottled bounds the addresses the throttle remembers (about 100 bytes
// each): an attacker with more addresses than this pushes out the oldest,
// whose failures are then forgotten, but cannot grow memory.
const maxThrottled = 8192

// throttle counts failed logins per client address. IPv6 addresses count
// per /64, the block one subscriber gets: an attacker picks any address in
// it at no cost.
type throttle struct {
	cfg ThrottleConfig
	now func() time.Time

	mu    sync.Mutex
	byKey map[netip.Addr]*list.Element // of *throttleEntry
	lru   list.List                    // front: most recently failed
}

type throttleEntry struct {
	key          netip.Addr
	first        time.Time // start of the current window
	failures     int
	blockedUntil time.Time
}

func newThrottle(cfg ThrottleConfig) *throttle {
	return &throttle{cfg: cfg.WithDefaults(), now: time.Now, byKey: map[netip.Addr]*list.Element{}}
}

// throttleKey is the unit counted: the address, or its /64 for IPv6.
func throttleKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// blocked reports how long addr stays refused (0: not refused).
func (t *throttle) blocked(addr netip.Addr) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	el := t.byKey[throttleKey(addr)]
	if el == nil {
		return 0
	}
	left := el.Value.(*throttleEntry).blockedUntil.Sub(t.now())
	return max(left, 0)
}

// fail counts a failed login from addr; it reports whether this failure
// made the address blocked (once per block: the caller logs it).
func (t *throttle) fail(addr netip.Addr) (nowBlocked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	key := throttleKey(addr)
	var e *throttleEntry
	if el := t.byKey[key]; el != nil {
		t.lru.MoveToFront(el)
		e = el.Value.(*throttleEntry)
	} else {
		if t.lru.Len() >= maxThrottled {
			old := t.lru.Back()
			t.lru.Remove(old)
			delete(t.byKey, old.Value.(*throttleEntry).key)
		}
		e = &throttleEntry{key: key, first: now}
		t.byKey[key] = t.lru.PushFront(e)
	}
	if now.Before(e.blockedUntil) {
		return false // already blocked (a request that was in flight)
	}
	if now.Sub(e.first) > t.cfg.Window {
		e.first, e.failures = now, 0
	}
	e.failures++
	if e.failures < t.cfg.Failures {
		return false
	}
	e.blockedUntil = now.Add(t.cfg.Block)
	e.first, e.failures = e.blockedUntil, 0 // a new window after the block
	return true
}

// size is the number of addresses remembered.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
