package assets

import (
	"math/rand/v2"
	"testing"
)

// naiveContainsFold is containsFold as its comment defines it, one place after another.
func naiveContainsFold(s []byte, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if restFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// TestContainsFold: the scan by first bytes agrees with trying every place,
// on short texts made of the words' own bytes in both cases (where places
// that start the word but do not finish it abound) and of bytes that
// differ from them only in bit 0x20.
func TestContainsFold(t *testing.T) {
	words := append([]string{"http", "h", "", "@import"}, relativeMarks...)
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte(`hHtTpPsSrRcC"uUlL(iImMoOaA` + "\x02\x08\x00 x\u00e9")
	for range 20_000 {
		s := make([]byte, r.IntN(14))
		for i := range s {
			s[i] = alphabet[r.IntN(len(alphabet))]
		}
		for _, w := range words {
			if got, want := containsFold(s, w), naiveContainsFold(s, w); got != want {
				t.Fatalf("containsFold(%q, %q) = %v, want %v", s, w, got, want)
			}
		}
	}
}

func FuzzContainsFold(f *testing.F) {
	f.Add([]byte(`{"src":"HTTP://a"}`), "http")
	f.Add([]byte("hhhttp"), "http")
	f.Add([]byte("\x02src\x02"), `src"`)
	f.Fuzz(func(t *testing.T, s []byte, word string) {
		if got, want := containsFold(s, word), naiveContainsFold(s, word); got != want {
			t.Fatalf("containsFold(%q, %q) = %v, want %v", s, word, got, want)
		}
	})
}
