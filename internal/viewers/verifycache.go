package viewers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// verifyCacheSize bounds the cache: a user and password is 32 bytes of it.
const verifyCacheSize = 1024

// verifyCache remembers user and password pairs that matched a hashed
// password, so that a player's requests (an HLS player fetches a part every
// few hundred milliseconds, an RTSP one sends Basic on every request) cost
// one hash check, not one each. It holds no password: only an HMAC of the
// pair under a key made at start, which cannot be reversed or precomputed.
// Failures are not cached; the throttle bounds them.
type verifyCache struct {
	secret []byte

	mu   sync.Mutex
	set  map[[32]byte]struct{}
	ring [verifyCacheSize][32]byte // insertion order, to evict the oldest
	next int
}

func newVerifyCache() *verifyCache {
	c := &verifyCache{secret: make([]byte, 32), set: map[[32]byte]struct{}{}}
	rand.Read(c.secret)
	return c
}

func (c *verifyCache) key(user, pass string) [32]byte {
	m := hmac.New(sha256.New, c.secret)
	// The user's length first, so that no two pairs write the same bytes.
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(user))))
	m.Write([]byte(user))
	m.Write([]byte(pass))
	var k [32]byte
	m.Sum(k[:0])
	return k
}

func (c *verifyCache) has(k [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.set[k]
	return ok
}

func (c *verifyCache) add(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[k]; ok {
		return
	}
	if len(c.set) >= verifyCacheSize {
		delete(c.set, c.ring[c.next])
	}
	c.ring[c.next] = k
	c.set[k] = struct{}{}
	c.next = (c.next + 1) % verifyCacheSize
}

func (c *verifyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.set)
}
