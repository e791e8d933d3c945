// Package keyring keeps Playhead's master keys and encrypts recordings at
// rest. Every session has its own random data key; stored chunks and pending
// batches are sealed with it (AES-256-GCM), and the data key is stored only
// wrapped (encrypted) by a master key. Rotating the master key re-wraps data
// keys without rewriting recordings; erasing a session deletes its data key,
// after which no copy of its chunks can be read.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// KeySize is the size of master and data keys: AES-256.
const KeySize = 32

// Keyring holds the master keys. The current one wraps new data keys; older
// ones unwrap data keys not yet re-wrapped. It is backed by a file (JSON,
// mode 0600); a master key given in the environment is used as the current
// key in front of the file's.
type Keyring struct {
	path        string
	env         *masterKey
	indexSecret []byte // fixed when the keyring file is created

	mu      sync.Mutex
	file    keyFile
	modTime time.Time
	checked time.Time // when the file was last looked at
}

// recheckEvery bounds how often the file is looked at for a rotation: a
// stat per new session would make the keyring a point of contention.
const recheckEvery = time.Second

type masterKey struct {
	ID      string    `json:"id"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
}

type keyFile struct {
	Current string       `json:"current"`
	Keys    []*masterKey `json:"keys"`
	// IndexSecret keys the hashes under which identifiers (user IDs) are
	// indexed, so the index alone cannot be searched by guessing them.
	IndexSecret []byte `json:"indexSecret"`
}

// KeyID derives a master key's ID from the key: the first bytes of its
// SHA-256, so the same key always has the same ID.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return "mk-" + hex.EncodeToString(sum[:6])
}

// ParseKey decodes a master key given as base64 (standard or URL alphabet)
// or hex.
func ParseKey(s string) ([]byte, error) {
	for _, dec := range []func(string) ([]byte, error){base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString, base64.RawStdEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("a master key must be %d random bytes in base64 or hex (e.g. `openssl rand -base64 32`)", KeySize)
}

// NewKey returns a random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// Open opens the keyring file at path, creating it with a new master key
// when it does not exist (created reports that: the operator must back the
// file up). envKey, when set, is used as the current master key.
func Open(path string, envKey []byte) (k *Keyring, created bool, err error) {
	k = &Keyring{path: path}
	if envKey != nil {
		k.env = &masterKey{ID: KeyID(envKey), Key: envKey}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		f := keyFile{IndexSecret: NewKey()}
		if envKey == nil {
			mk := &masterKey{ID: "", Key: NewKey(), Created: time.Now().UTC()}
			mk.ID = KeyID(mk.Key)
			f.Keys, f.Current = []*masterKey{mk}, mk.ID
		}
		made, err := createFile(path, f)
		if err != nil {
			return nil, false, err
		}
		created = made && envKey == nil
	}
	if err := k.reload(); err != nil {
		return nil, false, err
	}
	k.indexSecret = k.file.IndexSecret
	if k.currentLocked() == nil {
		return nil, false, fmt.Errorf("keyring %s has no current master key", path)
	}
	return k, created, nil
}

// writeFile replaces the file at path with f, atomically.
func writeFile(path string, f keyFile) error {
	tmp, err := writeTemp(path, f)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write keyring: %w", err)
	}
	return nil
}

// createFile writes f at path unless a file is there already, atomically,
// and says whether it did: processes starting together on one data
// directory keep one keyring.
func createFile(path string, f keyFile) (bool, error) {
	tmp, err := writeTemp(path, f)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); errors.Is(err, os.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("create keyring: %w", err)
	}
	return true, nil
}

// writeTemp writes f, synced, to a new file beside path and returns its
// name.
func writeTemp(path string, f keyFile) (string, error) {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	fd, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write keyring: %w", err)
	}
	if err := fd.Chmod(0o600); err == nil {
		_, err = fd.Write(data)
		if err == nil {
			err = fd.Sync()
		}
	}
	if cerr := fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(fd.Name())
		return "", fmt.Errorf("write keyring: %w", err)
	}
	return fd.Name(), nil
}

// maybeReload reloads the file at most once per recheckEvery.
func (k *Keyring) maybeReload() {
	if now := time.Now(); now.Sub(k.checked) >= recheckEvery {
		k.checked = now
		k.reload()
	}
}

// reload reads the file again if it changed (a rotation by `playhead keys
// rotate` while the server runs).
func (k *Keyring) reload() error {
	st, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("read keyring: %w", err)
	}
	if st.ModTime().Equal(k.modTime) {
		return nil
	}
	data, err := os.ReadFile(k.path)
	if err != nil {
		return fmt.Errorf("read keyring: %w", err)
	}
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("read keyring %s: %w", k.path, err)
	}
	k.file, k.modTime = f, st.ModTime()
	return nil
}

func (k *Keyring) currentLocked() *masterKey {
	if k.env != nil {
		return k.env
	}
	for _, mk := range k.file.Keys {
		if mk.ID == k.file.Current {
			return mk
		}
	}
	return nil
}

func (k *Keyring) keyLocked(id string) *masterKey {
	if k.env != nil && k.env.ID == id {
		return k.env
	}
	for _, mk := range k.file.Keys {
		if mk.ID == id {
			return mk
		}
	}
	return nil
}

// CurrentID returns the ID of the master key new data keys are wrapped with.
func (k *Keyring) CurrentID() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reload()
	return k.currentLocked().ID
}

// IndexSecret returns the secret that keys identifier hashes.
func (k *Keyring) IndexSecret() []byte { return k.indexSecret }

// UserHash returns the keyed hash under which a user's sessions are
// indexed ("" for no user): it lets them be found and erased, and reveals
// nothing without the keyring.
func (k *Keyring) UserHash(projectID int64, userID string) string {
	if userID == "" {
		return ""
	}
	mac := hmac.New(sha256.New, k.indexSecret)
	fmt.Fprintf(mac, "%d\x00%s", projectID, userID)
	return hex.EncodeToString(mac.Sum(nil))
}

const wrapAAD = "playhead data key"

// Wrap encrypts a data key with the current master key.
func (k *Keyring) Wrap(dataKey []byte) (keyID string, wrapped []byte, err error) {
	k.mu.Lock()
	k.maybeReload()
	mk := k.currentLocked()
	k.mu.Unlock()
	wrapped, err = Encrypt(mk.Key, dataKey, []byte(wrapAAD))
	return mk.ID, wrapped, err
}

// Unwrap decrypts a data key wrapped with the master key keyID.
func (k *Keyring) Unwrap(keyID string, wrapped []byte) ([]byte, error) {
	k.mu.Lock()
	mk := k.keyLocked(keyID)
	if mk == nil {
		k.reload()
		mk = k.keyLocked(keyID)
	}
	k.mu.Unlock()
	if mk == nil {
		return nil, fmt.Errorf("unwrap data key: master key %s is not in the keyring", keyID)
	}
	return Decrypt(mk.Key, wrapped, []byte(wrapAAD))
}

// AddCurrent adds a master key to the file and makes it current; the old
// keys stay until Retire, so data keys can be re-wrapped.
func (k *Keyring) AddCurrent(key []byte) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reload(); err != nil {
		return "", err
	}
	id := KeyID(key)
	f := k.file
	inFile := false
	for _, mk := range f.Keys {
		inFile = inFile || mk.ID == id
	}
	if k.env != nil && k.env.ID != id {
		// Keep the environment's key in the file until Retire, so data
		// keys it wrapped can be re-wrapped.
		f.Keys = append(f.Keys, k.env)
	}
	if !inFile {
		f.Keys = append(f.Keys, &masterKey{ID: id, Key: key, Created: time.Now().UTC()})
	}
	f.Current = id
	k.env = nil // a rotation supersedes a key given in the environment
	if err := writeFile(k.path, f); err != nil {
		return "", err
	}
	k.modTime = time.Time{}
	return id, k.reload()
}

// Retire removes every master key but keep from the file.
func (k *Keyring) Retire(keep string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reload(); err != nil {
		return err
	}
	f := k.file
	var kept []*masterKey
	for _, mk := range f.Keys {
		if mk.ID == keep {
			kept = append(kept, mk)
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("retire: master key %s is not in the keyring", keep)
	}
	f.Keys, f.Current = kept, keep
	if err := writeFile(k.path, f); err != nil {
		return err
	}
	k.modTime = time.Time{}
	return k.reload()
}

// magic opens every sealed blob; the last byte is the format version.
var magic = []byte{'P', 'H', 'E', 1}

// Encrypt encrypts and authenticates plaintext with key (AES-256-GCM, a random
// 96-bit nonce); aad binds it to where it belongs (a session and sequence
// number, an object key), so a blob moved elsewhere does not open.
func Encrypt(key, plaintext, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(magic)+gcm.NonceSize(), len(magic)+gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	copy(out, magic)
	rand.Read(out[len(magic):])
	return gcm.Seal(out, out[len(magic):], plaintext, aad), nil
}

// ErrDecrypt is wrapped by Decrypt's errors: wrong key, wrong place, or damage.
var ErrDecrypt = errors.New("cannot decrypt: wrong key or damaged data")

// Decrypt decrypts what Encrypt encrypted with the same key and aad.
func Decrypt(key, sealed, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	n := len(magic) + gcm.NonceSize()
	if len(sealed) < n+gcm.Overhead() || string(sealed[:len(magic)]) != string(magic) {
		return nil, ErrDecrypt
	}
	out, err := gcm.Open(nil, sealed[len(magic):n], sealed[n:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
