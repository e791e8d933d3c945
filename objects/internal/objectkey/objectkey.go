// Package objectkey holds the rules every object store applies to keys, so
// that a key one store accepts is valid in every other one and recordings
// can move between a local directory and a bucket unchanged.
package objectkey

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TempPrefix starts the name of the file store's temporary files; no key
// segment may start with it, so a listing never mistakes one for an object.
const TempPrefix = ".tmp-"

// Check returns an error naming the key when it is not a relative,
// slash-separated path of non-empty segments without "." or "..", or when
// it is not UTF-8 (S3 keys must be).
func Check(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || !utf8.ValidString(key) {
		return fmt.Errorf("invalid object key %q", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." || strings.HasPrefix(part, TempPrefix) {
			return fmt.Errorf("invalid object key %q", key)
		}
	}
	return nil
}

// CheckPrefix returns an error naming the prefix unless it is empty or the
// part before its last slash is a valid key, so a listing never leaves the
// store; the part after the last slash is only compared with keys.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if !utf8.ValidString(prefix) || strings.Contains(prefix, "\\") {
		return fmt.Errorf("invalid object key prefix %q", prefix)
	}
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 && Check(prefix[:i]) != nil {
		return fmt.Errorf("invalid object key prefix %q", prefix)
	}
	return nil
}
