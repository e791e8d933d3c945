package server

import "testing"

// A body that was not compressed is its raw buffer's array, also when it
// is empty: it goes back to the pool once, never as two buffers that two
// later requests would read into at the same time.
func TestBodyBuffersGoBackOnce(t *testing.T) {
	for _, n := range []int{0, 10} {
		rawBuf, dataBuf := new([]byte), new([]byte)
		raw := make([]byte, n, 512)
		putBodyBuffers(rawBuf, dataBuf, raw, raw) // a plain body: data is raw
		if sameArray(*rawBuf, *dataBuf) {
			t.Fatalf("a plain body of %d bytes went back as both buffers", n)
		}
		if cap(*rawBuf) != 512 || cap(*dataBuf) != 0 {
			t.Errorf("plain body of %d bytes: buffers of %d and %d bytes back, want 512 and 0", n, cap(*rawBuf), cap(*dataBuf))
		}
	}
	// A gzip body: both buffers go back, each with its own array.
	rawBuf, dataBuf := new([]byte), new([]byte)
	putBodyBuffers(rawBuf, dataBuf, make([]byte, 5, 100), make([]byte, 0, 4096))
	if cap(*rawBuf) != 100 || cap(*dataBuf) != 4096 {
		t.Errorf("gzip body: buffers of %d and %d bytes back, want 100 and 4096", cap(*rawBuf), cap(*dataBuf))
	}
	// One larger than maxPooledBody is left to the collector.
	big := new([]byte)
	putBodyBuffers(big, new([]byte), make([]byte, 1, maxPooledBody+1), nil)
	if cap(*big) != 0 {
		t.Errorf("a %d-byte buffer was kept", cap(*big))
	}
}
