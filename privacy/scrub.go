package privacy

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ScrubJSON masks PII and redacts secrets in every string value (not object
// keys) of a valid JSON document, such as one recorded event: text nodes,
// attribute values, input values, console arguments, error messages,
// request URLs and custom metadata alike. It returns the document unchanged
// (the same slice) when nothing was masked. Long data: URLs are left alone:
// masking inside base64 would only corrupt an image.
func ScrubJSON(doc []byte, counts Counts) []byte {
	var out []byte // allocated at the first change
	copied := 0    // doc[:copied] is already in out
	for i := 0; i < len(doc); i++ {
		if doc[i] != '"' {
			continue
		}
		start := i
		escaped := false
		for i++; i < len(doc); i++ {
			if doc[i] == '\\' {
				escaped = true
				i++
				continue
			}
			if doc[i] == '"' {
				break
			}
		}
		end := i + 1 // doc[start:end] is the quoted string
		if end > len(doc) || isKey(doc, end) || !mayHoldPII(doc[start+1:end-1]) {
			continue
		}
		var s string
		if escaped {
			if json.Unmarshal(doc[start:end], &s) != nil {
				continue
			}
		} else {
			s = string(doc[start+1 : end-1])
		}
		if len(s) > 256 && strings.HasPrefix(s, "data:") {
			continue
		}
		scrubbed := ScrubString(s, counts)
		if scrubbed == s {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(doc)+16)
		}
		out = append(out, doc[copied:start]...)
		out = appendJSONString(out, scrubbed)
		copied = end
	}
	if out == nil {
		return doc
	}
	return append(out, doc[copied:]...)
}

// isKey reports whether the string ending before doc[end] is an object key.
func isKey(doc []byte, end int) bool {
	for ; end < len(doc); end++ {
		switch doc[end] {
		case ' ', '\t', '\r', '\n':
			continue
		case ':':
			return true
		default:
			return false
		}
	}
	return false
}

// mayHoldPII is a cheap filter on a string's raw bytes: every rule needs a
// digit or an '@', except a JWT and a credential after its scheme (Bearer,
// Basic, Token).
func mayHoldPII(raw []byte) bool {
	for _, b := range raw {
		if b >= '0' && b <= '9' || b == '@' {
			return true
		}
	}
	return bytes.Contains(raw, []byte("eyJ")) || containsFold(raw, "bearer") || containsFold(raw, "basic") || containsFold(raw, "token")
}

func appendJSONString(dst []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return append(dst, bytes.TrimRight(b.Bytes(), "\n")...)
}
