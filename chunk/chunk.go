// Package chunk encodes and decodes the stored form of a batch of events.
// The byte layout is documented in README.md beside this file.
package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// magic opens every chunk; the last byte is the format version.
var magic = [4]byte{'P', 'H', 'C', 1}

// Codecs, the byte after the magic. A codec once written is read forever:
// new ones are added, none is changed or removed.
const (
	// CodecZstd is a zstd frame: batches on the ingest path, and chunks as
	// the sealer first writes them.
	CodecZstd = 1
	// CodecBrotli is a brotli stream (RFC 7932; its window, at most 16 MiB,
	// is the stream's): the compact form a sealed chunk is re-encoded to
	// once its session has gone quiet (see EncodeCompact).
	CodecBrotli = 2
	// CodecS2 is an S2 block (a Snappy extension, klauspost/compress/s2):
	// a pending batch on the ingest path, where writing costs more than the
	// bytes, which the sealer soon rewrites.
	CodecS2 = 3
)

// Brotli settings of EncodeCompact. Quality 10 stores about 1.0x what zstd
// -19 --long stores for a whole session, where zstd's best pure-Go level
// stores 1.25-1.3x; quality 11 saves 6% more for 2.5 times the encoding
// time. The encoder's memory follows its window (about 50 bytes a byte of
// window at quality 10): 4 MiB bounds it near 200 MB and loses nothing
// measurable on recordings, whose matches are rarely further back.
const (
	compactQuality = 10
	compactWindow  = 22 // log2
)

// MaxDecodedBytes bounds the decompressed size a chunk may claim, so a
// corrupt or hostile header cannot make Decode allocate without limit.
const MaxDecodedBytes = 256 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// Sealed chunks are encoded once, off the hot path, harder and with a
	// window that spans minutes of events (pending batches use S2: Encode).
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
func Encode(events [][]byte) []byte { return AppendEncode(nil, events) }

// AppendEncode is Encode appending the chunk to dst, so that a caller that
// only passes the chunk on (ingest encrypts it) can reuse its buffer.
func AppendEncode(dst []byte, events [][]byte) []byte {
	bp := payloads.Get().(*[]byte)
	raw := appendPayload((*bp)[:0], events)
	n := s2.MaxEncodedLen(len(raw)) + 32
	if cap(dst)-len(dst) < n {
		dst = append(make([]byte, 0, len(dst)+n), dst...)
	}
	start := len(dst)
	out := appendHeader(dst, CodecS2, len(events), len(raw))
	enc := s2.Encode(out[len(out):cap(out)], raw)
	out = out[:len(out)+len(enc)]
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out[start:], castagnoli))
	if cap(raw) <= maxPooledPayload {
		*bp = raw
		payloads.Put(bp)
	}
	return out
}

// payloads are the buffers AppendEncode joins events in before compressing
// them; one larger than maxPooledPayload is left to the collector.
var payloads = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledPayload = 4 << 20

// EncodeSealed returns the chunk holding events compressed for size: the form
// of a sealed chunk, written once and read many times.
func EncodeSealed(events [][]byte) []byte { return encode(events, sealedEncoder()) }

// EncodeCompact returns the chunk holding events compressed with brotli at a
// high quality: 25-40% smaller than EncodeSealed, about a hundred times
// slower to write (under a megabyte of events a second) and a few times
// slower to read (still hundreds of megabytes a second). Sealed chunks are
// re-encoded to this form in the background (see ingest.Compact).
func EncodeCompact(events [][]byte) []byte {
	raw := payload(events)
	out := header(len(raw)/8+32, CodecBrotli, len(events), len(raw))
	buf := bytes.NewBuffer(out)
	// A window just larger than the payload compresses as well, in less memory.
	lgwin := 16
	for lgwin < compactWindow && 1<<lgwin-16 < len(raw) {
		lgwin++
	}
	w := brotli.NewWriterOptions(buf, brotli.WriterOptions{Quality: compactQuality, LGWin: lgwin})
	// Writes to a bytes.Buffer cannot fail.
	w.Write(raw)
	w.Close()
	return seal(buf.Bytes())
}

func encode(events [][]byte, enc *zstd.Encoder) []byte {
	raw := payload(events)
	out := header(len(raw)/4+32, CodecZstd, len(events), len(raw))
	return seal(enc.EncodeAll(raw, out))
}

// payload joins events, each after its uvarint length.
func payload(events [][]byte) []byte { return appendPayload(nil, events) }

func appendPayload(raw []byte, events [][]byte) []byte {
	n := 0
	for _, e := range events {
		n += len(e) + binary.MaxVarintLen32
	}
	raw = slices.Grow(raw, n)
	for _, e := range events {
		raw = binary.AppendUvarint(raw, uint64(len(e)))
		raw = append(raw, e...)
	}
	return raw
}

func header(capacity int, codec byte, events, rawLen int) []byte {
	return appendHeader(make([]byte, 0, capacity), codec, events, rawLen)
}

func appendHeader(out []byte, codec byte, events, rawLen int) []byte {
	out = append(out, magic[:]...)
	out = append(out, codec)
	out = binary.AppendUvarint(out, uint64(events))
	return binary.AppendUvarint(out, uint64(rawLen))
}

// seal appends the checksum.
func seal(out []byte) []byte {
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// Codec returns the codec byte of a chunk (CodecZstd, CodecBrotli), or
// ErrCorrupt when data does not start like a chunk. It does not check the
// rest: Decode does.
func Codec(data []byte) (byte, error) {
	if len(data) < len(magic)+1+4 || !bytes.Equal(data[:4], magic[:]) {
		return 0, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	return data[4], nil
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
	codec := body[4]
	if codec != CodecZstd && codec != CodecBrotli && codec != CodecS2 {
		return nil, fmt.Errorf("%w: unknown codec %d", ErrCorrupt, codec)
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
	var raw []byte
	var err error
	switch codec {
	case CodecZstd:
		raw, err = getDecoder().DecodeAll(rest[n:], make([]byte, 0, startCap(rawLen, len(rest)-n)))
	case CodecS2:
		raw, err = decodeS2(rest[n:], rawLen)
	default:
		raw, err = decodeBrotli(rest[n:], rawLen)
	}
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

var brotliReaders sync.Pool

// decodeBrotli returns the decompressed stream, reading at most one byte
// more than the header's length so a lying header cannot make it allocate
// beyond that.
func decodeBrotli(stream []byte, rawLen uint64) ([]byte, error) {
	src := bytes.NewReader(stream)
	r, _ := brotliReaders.Get().(*brotli.Reader)
	if r == nil {
		r = brotli.NewReader(src)
	} else if err := r.Reset(src); err != nil {
		return nil, err
	}
	defer brotliReaders.Put(r)
	raw := make([]byte, 0, startCap(rawLen, len(stream)))
	for uint64(len(raw)) < rawLen {
		if len(raw) == cap(raw) {
			raw = append(raw, 0)[:len(raw)]
		}
		n, err := r.Read(raw[len(raw):min(uint64(cap(raw)), rawLen)])
		raw = raw[:len(raw)+n]
		if err == io.EOF || err == nil && n == 0 {
			if uint64(len(raw)) < rawLen {
				return nil, fmt.Errorf("stream shorter than the header says")
			}
			break
		}
		if err != nil {
			return nil, err
		}
	}
	var extra [1]byte
	if n, err := r.Read(extra[:]); n > 0 {
		return nil, fmt.Errorf("stream longer than the header says")
	} else if err != nil && err != io.EOF {
		return nil, err
	}
	if src.Len() > 0 {
		return nil, fmt.Errorf("%d bytes after the stream", src.Len())
	}
	return raw, nil
}

// decodeS2 decodes an S2 block that must hold exactly rawLen bytes, checking
// the length the block states before allocating.
func decodeS2(block []byte, rawLen uint64) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return nil, err
	}
	if uint64(n) != rawLen {
		return nil, fmt.Errorf("s2 block holds %d bytes, header says %d", n, rawLen)
	}
	return s2.Decode(make([]byte, n), block)
}

// startCap is the buffer a decode starts with: the length the header gives,
// but no more than a stream of that size plausibly expands to, so a damaged
// header costs no large allocation before the stream disproves it. The
// buffer grows, up to the header's length, for streams that expand more.
func startCap(rawLen uint64, compressed int) int {
	return int(min(rawLen, uint64(compressed)*32+64<<10))
}

// ObjectKey returns the object key of the chunk holding a session's batches
// firstSeq..lastSeq, under the retention period (in days) its project had
// when it was sealed: "r30/sessions/1/SESSION/0000000000-0000000011". The
// leading period lets a bucket's lifecycle rules (expire "r30/" after 31
// days) back up retention; the index keeps each chunk's key, so keys of
// either form are read alike (chunks sealed before had no period).
func ObjectKey(retentionDays int, projectID int64, sessionID string, firstSeq, lastSeq int) string {
	return fmt.Sprintf("r%d/sessions/%d/%s/%010d-%010d", retentionDays, projectID, sessionID, firstSeq, lastSeq)
}

// PendingAAD binds a pending batch's ciphertext to its place: its project,
// session and sequence number.
func PendingAAD(projectID int64, sessionID string, seq int) []byte {
	return fmt.Appendf(nil, "playhead pending %d/%s/%d", projectID, sessionID, seq)
}

// SealedAAD binds a sealed chunk's ciphertext to its object key.
func SealedAAD(objectKey string) []byte { return []byte("playhead chunk " + objectKey) }
