package chunk_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/playhead/playhead/chunk"
)

// encoders are every way a chunk is written, with the codec each writes.
var encoders = []struct {
	name  string
	codec byte
	enc   func([][]byte) []byte
}{
	{"batch", chunk.CodecS2, chunk.Encode},
	{"sealed", chunk.CodecZstd, chunk.EncodeSealed},
	{"compact", chunk.CodecBrotli, chunk.EncodeCompact},
}

func TestRoundTrip(t *testing.T) {
	for _, e := range encoders {
		for _, n := range []int{0, 1, 2, 100} {
			var events [][]byte
			for i := range n {
				events = append(events, fmt.Appendf(nil, `{"type":3,"timestamp":%d,"data":{"text":"line\nbreak"}}`, 1000+i))
			}
			data := e.enc(events)
			if codec, err := chunk.Codec(data); err != nil || codec != e.codec {
				t.Fatalf("%s: codec = %d, %v; want %d", e.name, codec, err, e.codec)
			}
			got, err := chunk.Decode(data)
			if err != nil {
				t.Fatalf("%s, %d events: %v", e.name, n, err)
			}
			if len(got) != n {
				t.Fatalf("%s, %d events: decoded %d", e.name, n, len(got))
			}
			for i := range got {
				if !bytes.Equal(got[i], events[i]) {
					t.Fatalf("%s: event %d = %s, want %s", e.name, i, got[i], events[i])
				}
			}
		}
	}
}

func TestCompactIsSmaller(t *testing.T) {
	var events [][]byte
	for i := range 2000 {
		events = append(events, fmt.Appendf(nil, `{"type":3,"timestamp":%d,"data":{"source":0,"adds":[{"parentId":%d,"node":{"type":2,"tagName":"li","attributes":{"class":"row row-%d"}}}]}}`, 1000+i*37, i%50, i%7))
	}
	sealed, compact := len(chunk.EncodeSealed(events)), len(chunk.EncodeCompact(events))
	if compact >= sealed {
		t.Fatalf("compact chunk %d bytes, sealed %d: no smaller", compact, sealed)
	}
}

// Chunks written by earlier versions must stay readable: these bytes are
// fixed, not produced by the current encoders.
func TestStoredChunksStayReadable(t *testing.T) {
	want := []string{`{"type":4,"data":{"href":"http://a/"},"timestamp":1}`, `{"type":3,"data":{"source":2},"timestamp":2}`}
	for name, h := range map[string]string{
		"zstd (codec 1)":   "5048430101026228b52ffd040045020022c40e16a0b101e9e1df04d04429eb3748507d245110e50c5405ad143707053896702d7013c2af44c67bad040971fa4fdd22d52973f148f48c9b29f03213031005501e86d7f00b05504536bcf057a2ce",
		"s2 (codec 3)":     "5048430103026262d4347b2274797065223a342c2264617461223a7b2268726566223a22687474703a2f2f612f227d2c2274696d657374616d70223a317d2c1135003315000220736f75726365223a32362d0004327df73fc664",
		"brotli (codec 2)": "504843010202621f6100e02d0a6cd70eadc872d3e6a79dad3c86303cf281fd0f25e81c6465985c5e93a1d1f5099d6479e96b416ea1a8232d38b55e4eacee1260d2b2fa9c5932096567abbb3c306969e54e6f00901a5f06",
	} {
		data, _ := hex.DecodeString(h)
		got, err := chunk.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", name, len(got), len(want))
		}
		for i := range got {
			if string(got[i]) != want[i] {
				t.Fatalf("%s: event %d = %s, want %s", name, i, got[i], want[i])
			}
		}
	}
}

// withChecksum returns body followed by its CRC-32C, so a test can hand
// Decode damage the checksum does not catch.
func withChecksum(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}

// forged returns a chunk with a valid checksum around the given codec,
// counts and stream.
func forged(codec byte, events, rawLen uint64, stream []byte) []byte {
	b := []byte{'P', 'H', 'C', 1, codec}
	b = binary.AppendUvarint(b, events)
	b = binary.AppendUvarint(b, rawLen)
	return withChecksum(append(b, stream...))
}

func TestDecodeRefusesDamage(t *testing.T) {
	events := [][]byte{[]byte(`{"type":4}`), []byte(`{"type":2}`)}
	raw := []byte("\x0a{\"type\":4}\x0a{\"type\":2}")
	for _, e := range encoders {
		good := e.enc(events)
		stream := good[5+2 : len(good)-4] // after magic, codec and the two one-byte counts
		cases := map[string][]byte{
			"empty":                 nil,
			"truncated":             good[:len(good)-3],
			"bad magic":             append([]byte("XXXX"), good[4:]...),
			"unknown codec":         withChecksum(append([]byte{'P', 'H', 'C', 1, 9}, good[5:len(good)-4]...)),
			"cut stream":            forged(e.codec, 2, uint64(len(raw)), stream[:len(stream)/2]),
			"garbage stream":        forged(e.codec, 2, uint64(len(raw)), bytes.Repeat([]byte{0xa5}, 40)),
			"longer than said":      forged(e.codec, 2, uint64(len(raw)-1), stream),
			"shorter than said":     forged(e.codec, 2, uint64(len(raw)+1), stream),
			"more events than said": forged(e.codec, 1, uint64(len(raw)), stream),
			"huge length":           forged(e.codec, 2, chunk.MaxDecodedBytes+1, stream),
			"trailing bytes":        forged(e.codec, 2, uint64(len(raw)), append(bytes.Clone(stream), 0, 0, 0)),
		}
		flipped := bytes.Clone(good)
		flipped[len(flipped)/2] ^= 0xff
		cases["flipped byte"] = flipped
		if _, err := chunk.Decode(forged(e.codec, 2, uint64(len(raw)), stream)); err != nil {
			t.Fatalf("%s: the forger itself is wrong: %v", e.name, err)
		}
		for name, data := range cases {
			if _, err := chunk.Decode(data); !errors.Is(err, chunk.ErrCorrupt) {
				t.Errorf("%s, %s: err = %v, want ErrCorrupt", e.name, name, err)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, e := range encoders {
		f.Add(e.enc([][]byte{[]byte(`{}`)}))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		chunk.Decode(data) // must not panic
		// nor with a valid checksum, which random damage rarely has
		if len(data) > 5 {
			chunk.Decode(withChecksum(append([]byte{'P', 'H', 'C', 1, data[0]%3 + 1}, data[1:]...)))
		}
	})
}
