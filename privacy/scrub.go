package privacy

import (
	"bytes"
	"encoding/json"

	"github.com/go-json-experiment/json/jsontext"
)

// ScrubJSON masks PII and redacts secrets in every string value (not object
// keys) of a valid JSON document, such as one recorded event: text nodes,
// attribute values, input values, console arguments, error messages,
// request URLs and custom metadata alike. It returns the document unchanged
// (the same slice) when nothing was masked. Long data: URLs are left alone:
// masking inside base64 would only corrupt an image. Ingest scrubs with
// ScrubJSONString as it reads a batch; this is for a document on its own.
func ScrubJSON(doc []byte, counts Counts) []byte {
	var out []byte // allocated at the first change
	copied := 0    // doc[:copied] is already in out
	dec := jsontext.NewDecoder(bytes.NewBuffer(doc), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	for {
		kind := dec.PeekKind()
		if kind == 0 {
			break // the end, or an error: what follows is kept as it is
		}
		if kind != '"' {
			if _, err := dec.ReadToken(); err != nil {
				break
			}
			continue
		}
		// In an object, a string read after an even count is a name.
		k, n := dec.StackIndex(dec.StackDepth())
		raw, err := dec.ReadValue()
		if err != nil {
			break
		}
		if k == '{' && n%2 == 0 {
			continue
		}
		scrubbed, ok := ScrubJSONString(raw, counts)
		if !ok {
			continue
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		if out == nil {
			out = make([]byte, 0, len(doc)+16)
		}
		out = append(out, doc[copied:start]...)
		out = AppendJSONString(out, scrubbed)
		copied = end
	}
	if out == nil {
		return doc
	}
	return append(out, doc[copied:]...)
}

// ScrubJSONString masks PII and redacts secrets in one JSON string value,
// given quoted as in its document. It returns the scrubbed text and true, or
// false when there is nothing to mask; most strings are passed over by a
// look at their bytes.
func ScrubJSONString(raw []byte, counts Counts) (string, bool) {
	if len(raw) < 2 {
		return "", false
	}
	text := raw[1 : len(raw)-1]
	if bytes.IndexByte(text, '\\') >= 0 {
		var err error
		if text, err = jsontext.AppendUnquote(nil, raw); err != nil {
			return "", false
		}
	}
	if !mayChange(text) || len(text) > 256 && bytes.HasPrefix(text, []byte("data:")) {
		return "", false
	}
	s := string(text)
	scrubbed := ScrubString(s, counts)
	if scrubbed == s {
		return "", false
	}
	return scrubbed, true
}

// mayChange reports whether ScrubString could change s: false only when
// no rule of MaskPII may match it (their prefilters, on the same facts),
// it holds no '?' or '#' that would make a URL's parameters redacted, no
// scheme whose URL is masked whole (tel:, sms:, callto:, mailto:), and no
// JWT or credential scheme. It lets most strings, those holding digits
// (CSS lengths, class names, coordinates) too, pass without being copied
// or looked at again.
func mayChange(s []byte) bool {
	for _, scheme := range []string{"tel:", "sms:", "callto:", "mailto:"} {
		if hasPrefixFold(s, scheme) {
			return true
		}
	}
	f, marked := scan(s, true)
	if marked {
		return true
	}
	for _, r := range rules {
		if r.may(f) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lowercase ASCII word in
// any case.
func hasPrefixFold[T string | []byte](s T, word string) bool {
	if len(s) < len(word) {
		return false
	}
	for i := 0; i < len(word); i++ {
		if s[i]|0x20 != word[i] {
			return false
		}
	}
	return true
}

// AppendJSONString appends s to dst as a JSON string, escaped as
// encoding/json does without HTML escaping: what a scrubbed value is
// written as, wherever it is scrubbed.
func AppendJSONString(dst []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return append(dst, bytes.TrimRight(b.Bytes(), "\n")...)
}
