package password_test

import (
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/password"
)

func TestHashVerify(t *testing.T) {
	h, err := password.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the chosen cost", h)
	}
	if ok, rehash := password.Verify(h, "correct horse battery"); !ok || rehash {
		t.Fatalf("Verify(right) = %v, %v; want true, false", ok, rehash)
	}
	if ok, _ := password.Verify(h, "correct horse batterY"); ok {
		t.Fatal("a wrong password verified")
	}
	h2, _ := password.Hash("correct horse battery")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	// The cost is part of what is checked: a hash whose parameters were
	// changed does not verify.
	weaker := strings.Replace(h, "m=19456,t=2", "m=19456,t=1", 1)
	if ok, _ := password.Verify(weaker, "correct horse battery"); ok {
		t.Fatal("changing the cost parameters of a hash still verified")
	}
}

func TestBcryptStillVerifies(t *testing.T) {
	old, err := bcrypt.GenerateFromPassword([]byte("an older password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash := password.Verify(string(old), "an older password"); !ok || !rehash {
		t.Fatalf("Verify(bcrypt, right) = %v, %v; want true, true (upgrade to argon2id)", ok, rehash)
	}
	if ok, _ := password.Verify(string(old), "another password"); ok {
		t.Fatal("a wrong password verified against bcrypt")
	}
}

func TestVerifyRefusesCorruptHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=19456,t=2,p=0$c2FsdA$a2V5", "$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$a2V5",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5"} {
		if ok, _ := password.Verify(h, "x"); ok {
			t.Errorf("Verify(%q) = true", h)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		password string
		names    []string
		want     string // part of the message, "" for accepted
	}{
		{"short", nil, "has 5 characters; the minimum is 8"},
		{"ünïcödé", nil, "has 7 characters"},
		{"password", nil, "10,000 most common"},
		{"Baseball", nil, "10,000 most common"},
		{"trustno1", nil, "10,000 most common"},
		{"dalmatio", nil, "10,000 most common"}, // the list's last entries count too
		{"ada@example.com", []string{"ada", "ada@example.com"}, "name or email"},
		{"lovelace-analytical", []string{"lovelace-analytical"}, "name or email"},
		{strings.Repeat("x", 1025), nil, "maximum is 1024"},
		{"lovelace-analytical", []string{"ada"}, ""},
		{"ünïcödé!", nil, ""},
	} {
		err := password.Check(tc.password, tc.names...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%q) = %v; want accepted", tc.password, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Check(%q) = %v; want an error saying %q", tc.password, err, tc.want)
		case err != nil && playhead.ErrorCode(err) != playhead.EINVALID:
			t.Errorf("Check(%q) code = %s; want %s", tc.password, playhead.ErrorCode(err), playhead.EINVALID)
		}
	}
}

// BenchmarkVerify measures one sign-in's password check: the CPU a guess
// costs the server, and the attacker.
func BenchmarkVerify(b *testing.B) {
	h, _ := password.Hash("correct horse battery")
	for b.Loop() {
		password.Verify(h, "correct horse battery")
	}
}

func BenchmarkVerifyBcrypt(b *testing.B) {
	h, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	for b.Loop() {
		password.Verify(string(h), "correct horse battery")
	}
}

// TestHashingMemoryBounded: many checks at once hold at most a few
// argon2id buffers, not one each.
func TestHashingMemoryBounded(t *testing.T) {
	h, _ := password.Hash("correct horse battery")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			password.Verify(h, "correct horse battery")
		}()
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	// 40 at once unbounded would need 40 × 19 MiB = 760 MiB of heap.
	limit := uint64(4*runtime.GOMAXPROCS(0)+4) * 19 << 20
	if peak := after.HeapSys - before.HeapSys + before.HeapInuse; peak > limit {
		t.Fatalf("40 concurrent checks grew the heap to %d MiB; want at most %d MiB", peak>>20, limit>>20)
	}
}
