package privacy

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces a secret.
const Redacted = "[redacted]"

// secretParam matches URL parameter names whose value is a secret: these
// names exactly, or any name containing token, secret, passw or signature.
var secretParam = regexp.MustCompile(`(?i)^(?:code|key|auth|sig|sid|jwt|session|session_?id|api_?key|x-(?:amz|goog)-credential)$|token|secret|passw|signature`)

var (
	jwtValue = regexp.MustCompile(`^eyJ[\w-]*\.[\w-]*\.[\w-]*$`)
	hexValue = regexp.MustCompile(`^[0-9a-fA-F]{32,}$`)
	b64Value = regexp.MustCompile(`^[\w+/-]{32,}={0,2}$`)
	lower    = regexp.MustCompile(`[a-z]`)
	upper    = regexp.MustCompile(`[A-Z]`)
)

// LooksSecret reports whether a value looks like a credential: a JWT, 32 or
// more hex digits, or 32 or more base64 characters of mixed case and digits.
func LooksSecret(v string) bool {
	return jwtValue.MatchString(v) || hexValue.MatchString(v) ||
		b64Value.MatchString(v) && hasDigit.MatchString(v) && lower.MatchString(v) && upper.MatchString(v)
}

var param = regexp.MustCompile(`(^|[?&#])([^=&#?]+)=([^&#]*)`)

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// maskParams masks the values of name=value pairs (a query string, a
// fragment): Redacted for a secret name or a secret-looking value, PII
// masking of the decoded value otherwise.
func maskParams(text string, counts Counts) string {
	return param.ReplaceAllStringFunc(text, func(all string) string {
		m := param.FindStringSubmatch(all)
		sep, name, value := m[1], m[2], m[3]
		plain := unescape(value)
		if secretParam.MatchString(unescape(name)) || LooksSecret(plain) {
			count(counts, Secret)
			return sep + name + "=" + Redacted
		}
		masked := MaskPII(plain, counts)
		if masked == plain {
			return all
		}
		return sep + name + "=" + url.QueryEscape(masked)
	})
}

func count(c Counts, k Kind) {
	if c != nil {
		c[k]++
	}
}

var (
	phoneScheme  = regexp.MustCompile(`(?i)^(tel|sms|callto):`)
	mailtoScheme = regexp.MustCompile(`(?i)^mailto:`)
	anyDigit     = regexp.MustCompile(`\d`)
)

// RedactURL returns a URL as Playhead stores it: token-like query and
// fragment parameters redacted, PII in the query and fragment masked. The
// scheme, host and path are kept (replay fetches assets by them); tel: and
// sms: lose their digits and mailto: its addresses.
func RedactURL(u string, counts Counts) string {
	if phoneScheme.MatchString(u) {
		if anyDigit.MatchString(u) {
			count(counts, Phone)
		}
		return anyDigit.ReplaceAllString(u, "*")
	}
	if mailtoScheme.MatchString(u) {
		return MaskPII(maskParams(u, counts), counts)
	}
	i := strings.IndexAny(u, "?#")
	if i < 0 {
		return u
	}
	return u[:i] + MaskPII(maskParams(u[i:], counts), counts)
}

var (
	bearer    = regexp.MustCompile(`(?i)\b(Bearer|Basic|Token)\s+[\w.~+/=-]{8,}`)
	jwtInText = regexp.MustCompile(`\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*`)
	urlLike   = regexp.MustCompile(`(?i)^(?:https?:|wss?:|mailto:|tel:|sms:|callto:|/|\./|\.\./)[^\s]*$`)
)

var urlInText = regexp.MustCompile(`(?i)\b(?:https?|wss?)://[^\s"'<>()\[\]{}]+`)

// ScrubString masks PII and redacts secrets in one recorded string value.
// A URL, alone or inside text (a stack trace, a log line), gets RedactURL:
// its host and path are kept, so a replay can still fetch assets and a stack
// trace still names its files, even on a host given by IP address. The rest
// of the text gets PII masking, and credentials (bearer tokens, JWTs) are
// redacted.
func ScrubString(s string, counts Counts) string {
	// The regular expressions are the cost of scrubbing; each runs only
	// where a cheap necessary condition holds: a URL alone has no white
	// space (\s), one in text has "://", a credential names its scheme.
	if !strings.ContainsAny(s, "\t\n\f\r ") && urlLike.MatchString(s) {
		s = RedactURL(s, counts)
	} else if locs := urlsInText(s); locs != nil {
		var b strings.Builder
		last := 0
		for _, l := range locs {
			b.WriteString(MaskPII(s[last:l[0]], counts))
			b.WriteString(RedactURL(s[l[0]:l[1]], counts))
			last = l[1]
		}
		b.WriteString(MaskPII(s[last:], counts))
		s = b.String()
	} else {
		s = MaskPII(s, counts)
	}
	if strings.Contains(s, "eyJ") {
		s = jwtInText.ReplaceAllStringFunc(s, func(string) string { count(counts, Secret); return Redacted })
	}
	if (containsFold(s, "bearer") || containsFold(s, "basic") || containsFold(s, "token")) && bearer.MatchString(s) {
		s = bearer.ReplaceAllStringFunc(s, func(m string) string {
			count(counts, Secret)
			return bearer.FindStringSubmatch(m)[1] + " " + Redacted
		})
	}
	return s
}

func urlsInText(s string) [][]int {
	if !strings.Contains(s, "://") {
		return nil
	}
	return urlInText.FindAllStringIndex(s, -1)
}

// containsFold reports whether s contains word (lower-case ASCII letters)
// in any mix of cases.
func containsFold[T string | []byte](s T, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for ; j < len(word); j++ {
			if s[i+j]|0x20 != word[j] {
				break
			}
		}
		if j == len(word) {
			return true
		}
	}
	return false
}
