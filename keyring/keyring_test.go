package keyring_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/playhead/playhead/keyring"
)

func TestEncryptIsBoundToItsPlace(t *testing.T) {
	key := keyring.NewKey()
	sealed, err := keyring.Encrypt(key, []byte("events"), []byte("session a seq 1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("events")) {
		t.Fatal("ciphertext holds the plaintext")
	}
	if got, err := keyring.Decrypt(key, sealed, []byte("session a seq 1")); err != nil || string(got) != "events" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	for name, try := range map[string]func() error{
		"other place": func() error { _, err := keyring.Decrypt(key, sealed, []byte("session a seq 2")); return err },
		"other key": func() error {
			_, err := keyring.Decrypt(keyring.NewKey(), sealed, []byte("session a seq 1"))
			return err
		},
		"damaged": func() error {
			d := bytes.Clone(sealed)
			d[len(d)-1] ^= 1
			_, err := keyring.Decrypt(key, d, []byte("session a seq 1"))
			return err
		},
	} {
		if err := try(); !errors.Is(err, keyring.ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", name, err)
		}
	}
}

func TestKeyringFileAndRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	ring, created, err := keyring.Open(path, nil)
	if err != nil || !created {
		t.Fatalf("Open = %v, created %v", err, created)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("keyring file mode = %v, want 0600", st.Mode().Perm())
	}
	data := keyring.NewKey()
	oldID, wrapped, err := ring.Wrap(data)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := ring.AddCurrent(keyring.NewKey())
	if err != nil || newID == oldID || ring.CurrentID() != newID {
		t.Fatalf("AddCurrent = %s, %v; current %s", newID, err, ring.CurrentID())
	}
	if got, err := ring.Unwrap(oldID, wrapped); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("old key after AddCurrent: %v", err)
	}
	if err := ring.Retire(newID); err != nil {
		t.Fatal(err)
	}
	reopened, created, err := keyring.Open(path, nil)
	if err != nil || created || reopened.CurrentID() != newID {
		t.Fatalf("reopen: %v, created %v, current %s", err, created, reopened.CurrentID())
	}
	if _, err := reopened.Unwrap(oldID, wrapped); err == nil {
		t.Fatal("a retired master key still unwraps")
	}
	if !bytes.Equal(reopened.IndexSecret(), ring.IndexSecret()) || len(ring.IndexSecret()) != keyring.KeySize {
		t.Fatal("the index secret changed across rotation")
	}
}

func TestParseKey(t *testing.T) {
	if _, err := keyring.ParseKey("too short"); err == nil {
		t.Fatal("a short key was accepted")
	}
	if _, err := keyring.ParseKey("q83vEjRWeJC6zeHxEjRWeJC6zeHxEjRWeJC6zeHxEjQ="); err != nil {
		t.Fatalf("a base64 key: %v", err)
	}
}
