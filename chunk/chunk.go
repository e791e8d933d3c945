// Package chunk encodes and decodes the stored form of a batch of events.
// The byte layout is documented in README.md beside this file.
package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// magic opens every chunk; the last byte is the format version.
var magic = [4]byte{'P', 'H', 'C', 1}

const codecZstd = 1

// MaxDecodedBytes bounds the decompressed size a chunk may claim, so a
// corrupt or hostile header cannot make Decode allocate without limit.
const MaxDecodedBytes = 256 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// Batches are encoded on the ingest path: the fastest level keeps ingest
	// cheap. Sealed chunks are encoded once, off the hot path, harder and with
	// a window that spans minutes of events.
	batchEncoder  = sync.OnceValue(func() *zstd.Encoder { return newEncoder(zstd.SpeedFastest, 1<<20) })
	sealedEncoder = sync.OnceValue(func() *zstd.Encoder { return newEncoder(zstd.SpeedBetterCompression, 8<<20) })
	decoderOnce   sync.Once
	decoder       *zstd.Decoder
)

// newEncoder returns an encoder whose EncodeAll runs on as many goroutines
// at once as there are CPUs (its default): with a concurrency of one, every
// request would queue for a single encoder.
func newEncoder(level zstd.EncoderLevel, window int) *zstd.Encoder {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithWindowSize(window))
	if err != nil {
		panic(err) // the options are constants
	}
	return e
}

func getDecoder() *zstd.Decoder {
	decoderOnce.Do(func() {
		decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxDecodedBytes))
	})
	return decoder
}

// Encode returns the chunk holding events, each a JSON value, in order,
// compressed for speed: the form of a batch on the ingest path.
func Encode(events [][]byte) []byte { return encode(events, batchEncoder()) }

// EncodeSealed returns the chunk holding events compressed for size: the form
// of a sealed chunk, written once and read many times.
func EncodeSealed(events [][]byte) []byte { return encode(events, sealedEncoder()) }

func encode(events [][]byte, enc *zstd.Encoder) []byte {
	var raw []byte
	var lenBuf [binary.MaxVarintLen64]byte
	for _, e := range events {
		n := binary.PutUvarint(lenBuf[:], uint64(len(e)))
		raw = append(raw, lenBuf[:n]...)
		raw = append(raw, e...)
	}
	out := make([]byte, 0, len(raw)/4+32)
	out = append(out, magic[:]...)
	out = append(out, codecZstd)
	out = binary.AppendUvarint(out, uint64(len(events)))
	out = binary.AppendUvarint(out, uint64(len(raw)))
	out = enc.EncodeAll(raw, out)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// ErrCorrupt is wrapped by every error Decode returns for a malformed chunk.
var ErrCorrupt = errors.New("corrupt chunk")

// Decode returns the events of a chunk, each a JSON value, in order.
func Decode(data []byte) ([][]byte, error) {
	if len(data) < len(magic)+1+4 || !bytes.Equal(data[:4], magic[:]) {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if body[4] != codecZstd {
		return nil, fmt.Errorf("%w: unknown codec %d", ErrCorrupt, body[4])
	}
	rest := body[5:]
	count, n := binary.Uvarint(rest)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad event count", ErrCorrupt)
	}
	rest = rest[n:]
	rawLen, n := binary.Uvarint(rest)
	if n <= 0 || rawLen > MaxDecodedBytes || count > rawLen {
		return nil, fmt.Errorf("%w: bad length", ErrCorrupt)
	}
	raw, err := getDecoder().DecodeAll(rest[n:], make([]byte, 0, rawLen))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if uint64(len(raw)) != rawLen {
		return nil, fmt.Errorf("%w: length %d, header says %d", ErrCorrupt, len(raw), rawLen)
	}
	events := make([][]byte, 0, count)
	for len(raw) > 0 {
		l, n := binary.Uvarint(raw)
		if n <= 0 || l > uint64(len(raw)-n) {
			return nil, fmt.Errorf("%w: bad event length", ErrCorrupt)
		}
		events = append(events, raw[n:n+int(l)])
		raw = raw[n+int(l):]
	}
	if uint64(len(events)) != count {
		return nil, fmt.Errorf("%w: %d events, header says %d", ErrCorrupt, len(events), count)
	}
	return events, nil
}
