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
	encoderOnce sync.Once
	encoder     *zstd.Encoder
	decoderOnce sync.Once
	decoder     *zstd.Decoder
)

func getEncoder() *zstd.Encoder {
	encoderOnce.Do(func() {
		// Level 3 ("default") keeps ingest cheap; sealed chunks can be
		// re-encoded harder later without changing the layout.
		encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	})
	return encoder
}

func getDecoder() *zstd.Decoder {
	decoderOnce.Do(func() {
		decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxDecodedBytes))
	})
	return decoder
}

// Encode returns the chunk holding events, each a JSON value, in order.
func Encode(events [][]byte) []byte {
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
	out = getEncoder().EncodeAll(raw, out)
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
