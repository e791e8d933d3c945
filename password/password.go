// Package password hashes dashboard passwords and decides which are
// acceptable.
//
// New hashes are argon2id (RFC 9106) in the PHC string format. argon2id is
// memory-hard, so guessing on a GPU costs far more than with bcrypt, and it
// takes a password of any length where bcrypt stops at 72 bytes. Hashes
// made by earlier builds (bcrypt) still verify, and Verify says when one
// should be replaced by an argon2id hash of the same password.
package password

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/playhead/playhead"
)

// The argon2id cost: OWASP's recommended minimum (19 MiB, two passes, one
// thread), about 30 ms on one core, so sign-in stays cheap next to ingest
// while every guess costs an attacker the same memory.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinLength and MaxLength bound a password's length, in characters and in
// bytes. Length is what makes a password hard to guess; the upper bound
// only keeps hashing a request's body cheap.
const (
	MinLength = 8
	MaxLength = 1024
)

// slots bound the argon2id computations at once, each of which holds its
// memory cost (19 MiB): sign-ins from many addresses together queue here
// rather than add up to gigabytes.
var slots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

func idKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}

// Hash returns an argon2id hash of password in the PHC string format.
func Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := idKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches hash (argon2id, or bcrypt from
// earlier builds), and whether hash should be replaced by Hash(password)
// because it is of an older kind or cost.
func Verify(hash, password string) (ok, rehash bool) {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil, true
	}
	var version, memory, time int
	var threads uint8
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, false
	}
	// A stored hash is trusted, but a corrupt one must not ask for
	// gigabytes: the bounds are far above any cost Playhead has used.
	if memory < 1 || memory > 1<<20 || time < 1 || time > 16 || threads < 1 {
		return false, false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false, false
	}
	got := idKey([]byte(password), salt, uint32(time), uint32(memory), threads, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && (memory != argonMemory || time != argonTime || int(threads) != argonThreads || len(want) != argonKeyLen)
}

// dummyHash is verified against when there is no account to check, so the
// answer takes as long as a real check and does not tell which exist.
var dummyHash, _ = Hash("no account has this password")

// VerifyNothing spends the time of one Verify and returns false.
func VerifyNothing(password string) bool {
	Verify(dummyHash, password)
	return false
}

// common.txt holds the 10,000 most common passwords of at least MinLength
// characters, most common first. They are the first 10,000 such entries
// of passwords.json in the npm package @zxcvbn-ts/language-common 4.1.3
// (MIT licence, in common-LICENSE.txt), a frequency-ranked list that
// zxcvbn drew from leaked password corpora (Mark Burnett's ten million
// passwords, released into the public domain). Shorter ones are refused
// by length already.
//
//go:embed common.txt
var commonTxt []byte

var common = func() map[string]bool {
	m := make(map[string]bool, 10_000)
	sc := bufio.NewScanner(bytes.NewReader(commonTxt))
	for sc.Scan() {
		m[sc.Text()] = true
	}
	return m
}()

// Check returns an EINVALID error naming the rule a new password breaks:
// at least MinLength characters and at most MaxLength bytes, not one of
// the 10,000 most common passwords, and not the account's own name or
// email address. Nothing else is asked of it (no required symbols or
// digits, which make passwords harder to remember, not to guess).
func Check(password string, names ...string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinLength:
		return playhead.Errorf(playhead.EINVALID, "the password has %d characters; the minimum is %d", n, MinLength)
	case len(password) > MaxLength:
		return playhead.Errorf(playhead.EINVALID, "the password is %d bytes long; the maximum is %d", len(password), MaxLength)
	case !utf8.ValidString(password):
		return playhead.Errorf(playhead.EINVALID, "the password is not valid UTF-8")
	case common[strings.ToLower(password)]:
		return playhead.Errorf(playhead.EINVALID, "the password is one of the 10,000 most common passwords; choose another")
	}
	for _, name := range names {
		if name != "" && strings.EqualFold(password, name) {
			return playhead.Errorf(playhead.EINVALID, "the password must not be the account's name or email address")
		}
	}
	return nil
}
