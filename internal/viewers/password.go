package viewers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password is a user's password as the configuration gives it: plain (for
// compatibility, and the only form RTSP Digest can check) or a hash, argon2id
// in PHC string form or bcrypt. The zero Password matches nothing.
type Password struct {
	plain  string
	hashed bool
	kind   string // "argon2id" or "bcrypt" when hashed
	// argon2id's parameters, salt and key; bcrypt keeps its whole string.
	time, memory uint32
	threads      uint8
	salt, key    []byte
	bcrypt       []byte
}

// PlainPassword is a password given in clear.
func PlainPassword(p string) Password { return Password{plain: p} }

// Bounds on the hash parameters a configuration may give: a hash that costs
// seconds or gigabytes per check would let any client exhaust the machine.
const (
	maxArgonMemoryKiB = 256 << 10 // 256 MiB
	maxArgonTime      = 16
	maxArgonThreads   = 16
	maxBcryptCost     = 16 // about 5 s on a small machine
)

// ParseHash reads a password hash: argon2id in PHC string form,
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key> (base64 without
// padding), or bcrypt, $2a$, $2b$ or $2y$.
func ParseHash(s string) (Password, error) {
	switch {
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		cost, err := bcrypt.Cost([]byte(s))
		if err != nil {
			return Password{}, fmt.Errorf("not a bcrypt hash: %w", err)
		}
		if cost > maxBcryptCost {
			return Password{}, fmt.Errorf("bcrypt cost %d is above %d: every login would take seconds of CPU", cost, maxBcryptCost)
		}
		if len(s) != 60 {
			return Password{}, errors.New("not a bcrypt hash: a bcrypt hash is 60 characters")
		}
		return Password{hashed: true, kind: "bcrypt", bcrypt: []byte(s)}, nil
	}
	return Password{}, errors.New(`not a password hash: give an argon2id hash ("$argon2id$v=19$m=...", made by "camgate hash-password") or a bcrypt one ("$2b$...")`)
}

func parseArgon2id(s string) (Password, error) {
	bad := func(why string) (Password, error) {
		return Password{}, fmt.Errorf("not an argon2id hash (%s): the form is $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, as \"camgate hash-password\" prints", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("wrong number of $-separated fields")
	}
	if parts[2] != "v=19" {
		return bad("only version 19 (v=19) exists")
	}
	p := Password{hashed: true, kind: "argon2id"}
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] {
			return bad(fmt.Sprintf("parameter %q", kv))
		}
		seen[k] = true
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > maxArgonThreads {
				return bad(fmt.Sprintf("p=%d is above %d", n, maxArgonThreads))
			}
			p.threads = uint8(n)
		default:
			return bad(fmt.Sprintf("unknown parameter %q", k))
		}
	}
	switch {
	case !seen["m"] || !seen["t"] || !seen["p"]:
		return bad("m, t and p are all needed")
	case p.threads < 1:
		return bad("p must be at least 1")
	case p.time < 1 || p.time > maxArgonTime:
		return bad(fmt.Sprintf("t must be 1 to %d", maxArgonTime))
	case p.memory < 8*uint32(p.threads) || p.memory > maxArgonMemoryKiB:
		return bad(fmt.Sprintf("m must be 8×p to %d KiB", maxArgonMemoryKiB))
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return bad("the salt is not 8 to 64 bytes of base64 without padding")
	}
	if p.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return bad("the hash is not 16 to 64 bytes of base64 without padding")
	}
	return p, nil
}

// Hashed reports whether the password is a hash (which RTSP Digest cannot
// check: Digest needs the password itself).
func (p Password) Hashed() bool { return p.hashed }

// Set reports whether there is a password at all.
func (p Password) Set() bool { return p.hashed || p.plain != "" }

// Plain returns the password in clear, "" for a hash.
func (p Password) Plain() string { return p.plain }

// Kind is "plain", "argon2id" or "bcrypt".
func (p Password) Kind() string {
	if !p.hashed {
		return "plain"
	}
	return p.kind
}

// Match reports whether candidate is the password. A hash costs what its
// parameters say (tens of milliseconds): callers cache successes.
func (p Password) Match(candidate string) bool {
	switch {
	case !p.Set():
		return false
	case !p.hashed:
		return subtle.ConstantTimeCompare([]byte(candidate), []byte(p.plain)) == 1
	case p.kind == "bcrypt":
		return bcrypt.CompareHashAndPassword(p.bcrypt, []byte(candidate)) == nil
	}
	key := argon2.IDKey([]byte(candidate), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// The parameters HashPassword uses: OWASP's first recommendation for
// argon2id (19 MiB, 2 passes, 1 lane), about 30 ms on one core.
const (
	hashMemoryKiB = 19456
	hashTime      = 2
	hashThreads   = 1
)

// HashPassword returns password's argon2id hash in PHC string form, with a
// random salt: what `camgate hash-password` prints.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, hashTime, hashMemoryKiB, hashThreads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", hashMemoryKiB, hashTime, hashThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}
