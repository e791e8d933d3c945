package chunk_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/playhead/playhead/chunk"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/testdata"
)

// TestMeasureCodecs prints the stored bytes per recorded minute of each way
// of storing a session's chunks, and their ratio to the ceiling: zstd -19
// --long=27 over the whole session as one JSON array (the storage
// benchmark's ceiling, bench/storage.mjs). It needs the zstd command and
// runs only when asked, for a minute or two of CPU:
//
//	PLAYHEAD_MEASURE=1 go test ./chunk -run MeasureCodecs -v
//
// It measures the real 60-minute recording (cut into chunks every 5 and
// every 10 minutes: it has a single keyframe) and, with
// PLAYHEAD_MEASURE_SESSIONS=DIR, every DIR/*.json holding a session's events
// as the events API returns them (cut at keyframes, as the sealer does).
// PLAYHEAD_MEASURE=slow adds brotli quality 11.
func TestMeasureCodecs(t *testing.T) {
	mode := os.Getenv("PLAYHEAD_MEASURE")
	if mode == "" {
		t.Skip("set PLAYHEAD_MEASURE=1 to measure")
	}
	if _, err := exec.LookPath("zstd"); err != nil {
		t.Skip("no zstd command for the ceiling")
	}
	type session struct {
		name   string
		events []json.RawMessage
		ts     []int64
		cutMin int64
	}
	var sessions []session
	real, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int64{5, 10} {
		s := session{name: fmt.Sprintf("real60, %d-min chunks", cut), cutMin: cut}
		for _, e := range real {
			s.events, s.ts = append(s.events, e.Raw), append(s.ts, e.Timestamp)
		}
		sessions = append(sessions, s)
	}
	// As the SDK records by default: a keyframe every 5 minutes. The
	// recording has one, so the first is repeated (byte for byte, which
	// flatters cross-chunk matching: a real keyframe shows a changed page).
	{
		s := session{name: "real60 + its keyframe repeated every 5 min"}
		var keyframe []json.RawMessage
		for i, e := range real {
			if isFull(e.Raw) {
				for _, k := range real[:i+1] {
					if eventType(k.Raw) == 4 || eventType(k.Raw) == 2 {
						keyframe = append(keyframe, k.Raw)
					}
				}
				break
			}
		}
		last := real[0].Timestamp
		for _, e := range real {
			if e.Timestamp-last >= 5*60000 {
				for _, k := range keyframe {
					s.events, s.ts = append(s.events, k), append(s.ts, e.Timestamp)
				}
				last = e.Timestamp
			}
			s.events, s.ts = append(s.events, e.Raw), append(s.ts, e.Timestamp)
		}
		sessions = append(sessions, s)
	}
	if dir := os.Getenv("PLAYHEAD_MEASURE_SESSIONS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := session{name: strings.TrimSuffix(filepath.Base(f), ".json")}
			if err := json.Unmarshal(data, &s.events); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, e := range s.events {
				var h struct{ Timestamp int64 }
				json.Unmarshal(e, &h)
				s.ts = append(s.ts, h.Timestamp)
			}
			sessions = append(sessions, s)
		}
	}

	key := keyring.NewKey()
	aad := []byte("playhead chunk sessions/1/s/0000000000-0000000001")
	stored := func(c []byte) int {
		sealed, err := keyring.Encrypt(key, c, aad)
		if err != nil {
			t.Fatal(err)
		}
		return len(sealed)
	}
	zstdCLI := func(data []byte) int {
		cmd := exec.Command("zstd", "-19", "--long=27", "-c", "-q")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return len(out)
	}
	jsonArray := func(events []json.RawMessage) []byte {
		return append(append([]byte{'['}, bytes.Join(bytesOf(events), []byte{','})...), ']')
	}

	type way struct {
		name string
		// store returns the bytes stored for each of the session's chunks,
		// the time taken to encode and to decode them.
		store func(chunks [][][]byte) ([]int, time.Duration, time.Duration)
	}
	withCodec := func(enc func([][]byte) []byte) func([][][]byte) ([]int, time.Duration, time.Duration) {
		return func(chunks [][][]byte) (n []int, et, dt time.Duration) {
			for _, c := range chunks {
				t0 := time.Now()
				data := enc(c)
				et += time.Since(t0)
				t0 = time.Now()
				got, err := chunk.Decode(data)
				dt += time.Since(t0)
				if err != nil || len(got) != len(c) {
					t.Fatalf("round trip: %d events, %v", len(got), err)
				}
				n = append(n, stored(data))
			}
			return n, et, dt
		}
	}
	// zstd's best pure-Go level with a raw dictionary: every chunk but the
	// first is compressed against the first chunk's payload.
	zstdDict := func(chunks [][][]byte) (n []int, et, dt time.Duration) {
		first := payloadOf(chunks[0])
		plain, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(8<<20))
		dict, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(8<<20), zstd.WithEncoderDictRaw(1, first))
		dec, _ := zstd.NewReader(nil, zstd.WithDecoderDictRaw(1, first))
		for i, c := range chunks {
			raw := payloadOf(c)
			t0 := time.Now()
			enc := plain
			if i > 0 {
				enc = dict
			}
			data := enc.EncodeAll(raw, nil)
			et += time.Since(t0)
			t0 = time.Now()
			got, err := dec.DecodeAll(data, nil)
			dt += time.Since(t0)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("zstd with dictionary: %v", err)
			}
			n = append(n, stored(data)+8) // the chunk's header and checksum
		}
		return n, et, dt
	}
	brotli11 := func(chunks [][][]byte) (n []int, et, dt time.Duration) {
		for _, c := range chunks {
			raw := payloadOf(c)
			t0 := time.Now()
			var buf bytes.Buffer
			w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 11, LGWin: 24})
			w.Write(raw)
			w.Close()
			et += time.Since(t0)
			n = append(n, stored(buf.Bytes())+8)
		}
		return n, et, 0
	}
	ways := []way{
		{"sealed: zstd (codec 1)", withCodec(chunk.EncodeSealed)},
		{"compact: brotli q10 (codec 2)", withCodec(chunk.EncodeCompact)},
		{"zstd best + 1st-chunk dictionary", zstdDict},
	}
	if mode == "slow" {
		ways = append(ways, way{"brotli q11", brotli11})
	}

	for _, s := range sessions {
		var chunks [][][]byte
		var rawBytes int
		start := 0
		for i := 1; i <= len(s.events); i++ {
			keyframe := i < len(s.events) && isMeta(s.events[i]) && i+1 < len(s.events) && isFull(s.events[i+1])
			long := i < len(s.events) && s.cutMin > 0 && s.ts[i]-s.ts[start] >= s.cutMin*60000
			if i == len(s.events) || keyframe || long {
				chunks = append(chunks, bytesOf(s.events[start:i]))
				start = i
			}
		}
		for _, e := range s.events {
			rawBytes += len(e)
		}
		minutes := float64(s.ts[len(s.ts)-1]-s.ts[0]) / 60000
		ceiling := zstdCLI(jsonArray(s.events))
		cuts := 0
		for _, c := range chunks {
			cuts += zstdCLI(append(append([]byte{'['}, bytes.Join(c, []byte{','})...), ']'))
		}
		kb := func(n int) string { return fmt.Sprintf("%6.1f KB/min", float64(n)/minutes/1024) }
		t.Logf("%s: %.1f min, %d events, %d chunks, %.1f MB of JSON", s.name, minutes, len(s.events), len(chunks), float64(rawBytes)/1e6)
		t.Logf("  %-34s %s  1.00x", "ceiling: zstd -19 --long, whole", kb(ceiling))
		t.Logf("  %-34s %s  %.2fx", "zstd -19 --long over these chunks", kb(cuts), float64(cuts)/float64(ceiling))
		perChunk := map[string][]int{}
		for _, w := range ways {
			sizes, et, dt := w.store(chunks)
			perChunk[w.name] = sizes
			n := 0
			for _, x := range sizes {
				n += x
			}
			speed := func(d time.Duration) string {
				if d == 0 {
					return "     -"
				}
				return fmt.Sprintf("%6.1f", float64(rawBytes)/d.Seconds()/1e6)
			}
			t.Logf("  %-34s %s  %.2fx  encode %s MB/s  decode %s MB/s", w.name, kb(n), float64(n)/float64(ceiling), speed(et), speed(dt))
		}
		// Each chunk in the smaller of brotli alone and zstd against the
		// first chunk.
		n := 0
		for i, b := range perChunk[ways[1].name] {
			n += min(b, perChunk[ways[2].name][i])
		}
		t.Logf("  %-34s %s  %.2fx", "smaller of the two above per chunk", kb(n), float64(n)/float64(ceiling))
	}
}

func bytesOf(events []json.RawMessage) [][]byte {
	out := make([][]byte, len(events))
	for i, e := range events {
		out[i] = e
	}
	return out
}

func payloadOf(events [][]byte) []byte {
	var raw []byte
	for _, e := range events {
		raw = binary.AppendUvarint(raw, uint64(len(e)))
		raw = append(raw, e...)
	}
	return raw
}

func isMeta(e []byte) bool { return eventType(e) == 4 }
func isFull(e []byte) bool { return eventType(e) == 2 }

func eventType(e []byte) int {
	var h struct{ Type int }
	json.Unmarshal(e, &h)
	return h.Type
}
