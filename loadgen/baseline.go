package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// RawBaseline measures the raw limit Playhead's ingest is held against: a
// handler that receives the same batches over HTTP and writes and fsyncs
// each to a file in dir, doing nothing else, under the same load. It returns
// the batches a second it acknowledged.
func RawBaseline(ctx context.Context, dir string, sessions int, d time.Duration) (float64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprint(n.Add(1))))
		if err == nil {
			_, err = f.Write(data)
			if err == nil {
				err = f.Sync()
			}
			f.Close()
		}
		if err != nil {
			http.Error(w, err.Error(), 503)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	go srv.Serve(ln)
	defer srv.Close()
	rep, err := Run(ctx, Config{URLs: []string{"http://" + ln.Addr().String()}, IngestKey: "baseline", Sessions: sessions, Duration: d, skipAudit: true})
	if err != nil {
		return 0, err
	}
	return float64(rep.Acked) / rep.Elapsed.Seconds(), nil
}
