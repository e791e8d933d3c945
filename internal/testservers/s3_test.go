package testservers_test

import (
	"net/http"
	"testing"

	"github.com/playhead/playhead/internal/testservers"
)

func TestS3(t *testing.T) {
	a := testservers.S3(t)
	b := testservers.S3(t)
	if a.Endpoint != b.Endpoint {
		t.Errorf("two servers in one test binary: %s and %s", a.Endpoint, b.Endpoint)
	}
	if a.Bucket == b.Bucket {
		t.Errorf("both calls got bucket %s, want a fresh one each", a.Bucket)
	}
	resp, err := http.Get("http://" + a.Endpoint + "/" + a.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Anonymous requests are refused: the server answers, and checks.
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET of the bucket: status %d, want 403", resp.StatusCode)
	}
}
