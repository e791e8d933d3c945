// Package privacy detects and masks personal data (email addresses, payment
// cards, IBANs, US SSNs, IP and phone numbers), redacts secrets from URLs and
// free text, scrubs recorded events, and anonymises client addresses.
//
// The browser SDK masks with the same rules before anything leaves the page
// (sdk/browser/src/lib/privacy); the server runs them again before anything
// is stored. Both pass the shared vectors in testdata/pii-vectors.json. The
// rules are RE2 regular expressions plus a check in code:
//
//   - Kinds run one after the other, in the order of rules, each on the
//     output of the one before; a masked character is '*', which no rule
//     matches.
//   - A rule takes the leftmost-first, non-overlapping matches of its regex;
//     a match its check refuses is left as it is.
//   - A kept match has every byte replaced with '*' (matches are ASCII).
package privacy

import (
	"regexp"
	"strings"
)

// Kind names a kind of personal data.
type Kind string

// The kinds of personal data masked.
const (
	Email Kind = "email"
	IBAN  Kind = "iban"
	Card  Kind = "card"
	SSN   Kind = "ssn"
	IP    Kind = "ip"
	Phone Kind = "phone"
	// Secret is a credential: a token-like URL parameter, a JWT, a bearer
	// token.
	Secret Kind = "secret"
)

// check returns how many bytes of the match, from its start, to mask; 0
// keeps it.
type check func(match, text string, start int) int

type rule struct {
	kind Kind
	// may is a cheap necessary condition on the text's facts: when it is
	// false the regex cannot match, and is not run. Go's regexp engine is
	// the cost of scrubbing; most strings (CSS, prose) fail every may.
	may   func(f facts) bool
	re    *regexp.Regexp
	check check
}

// facts are what the rules' necessary conditions look at, found in one pass.
type facts struct {
	// digits is the largest number of digits in a run where digits are
	// separated by at most three of ' ', '.', '-', '(', ')': no rule's
	// match spans more between two of its digits.
	digits              int
	at, plus, ibanStart bool
	dots                int
	// colonPair: two colons with at most four hex digits between them,
	// which every IPv6 address has; an address also has "::" or seven
	// colons (eight groups), which a time of day (12:30:45) does not.
	colonPair, doubleColon bool
	colons                 int
}

func factsOf[T string | []byte](s T) facts {
	f, _ := scan(s, false)
	return f
}

// The classes of bytes the one pass tells apart. Most bytes of CSS and
// prose (lowercase letters past f, other punctuation, UTF-8) have none:
// they only end what runs they are in, and cost one look at the table.
const (
	cDigit = 1 << iota
	cHex   // a-f, A-F
	cGap   // ' ', '.', '-', '(', ')': may stand between the digits of a number
	cUpper // A-Z
	cWord  // b, B, t, T, e: where bearer, basic, token or a JWT (eyJ) may start
	cMark  // '?', '#'
	cFact  // ':', '@', '+', '.'
)

var byteClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= cHex
		t[c-'a'+'A'] |= cHex
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cUpper
	}
	for _, c := range " .-()" {
		t[c] |= cGap
	}
	for _, c := range "bBtTe" {
		t[c] |= cWord
	}
	for _, c := range "?#" {
		t[c] |= cMark
	}
	for _, c := range ":@+." {
		t[c] |= cFact
	}
	return t
}()

// scan finds s's facts in one pass. With markers it also looks for what
// makes mayChange true whatever the facts ('?', '#', and bearer, basic or
// token in any case, or eyJ), and stops at the first, returning true (the
// facts then incomplete).
func scan[T string | []byte](s T, markers bool) (f facts, marked bool) {
	run, gap := 0, 0
	sinceColon := -1 // hex digits since the last colon; -1: none, or not only hex
	for i := 0; i < len(s); i++ {
		c := s[i]
		k := byteClass[c]
		if k == 0 {
			sinceColon, run, gap = -1, 0, 0
			continue
		}
		if markers && k&(cMark|cWord) != 0 {
			if k&cMark != 0 {
				return f, true
			}
			switch c | 0x20 {
			case 'b':
				if hasPrefixFold(s[i:], "bearer") || hasPrefixFold(s[i:], "basic") {
					return f, true
				}
			case 't':
				if hasPrefixFold(s[i:], "token") {
					return f, true
				}
			case 'e':
				if i+2 < len(s) && s[i+1] == 'y' && s[i+2] == 'J' {
					return f, true
				}
			}
		}
		switch {
		case c == ':':
			if sinceColon >= 0 && sinceColon <= 4 {
				f.colonPair = true
			}
			if sinceColon == 0 {
				f.doubleColon = true
			}
			f.colons++
			sinceColon = 0
		case k&(cDigit|cHex) != 0:
			if sinceColon >= 0 {
				sinceColon++
			}
		default:
			sinceColon = -1
		}
		switch {
		case k&cDigit != 0:
			run++
			gap = 0
			f.digits = max(f.digits, run)
			continue
		case k&cGap != 0:
			gap++
			if gap > 3 {
				run = 0
			}
		default:
			run, gap = 0, 0
		}
		switch c {
		case '@':
			f.at = true
		case '+':
			f.plus = true
		case '.':
			f.dots++
		}
		if k&cUpper != 0 && i+3 < len(s) && byteClass[s[i+1]]&cUpper != 0 && isDigit(s[i+2]) && isDigit(s[i+3]) {
			f.ibanStart = true
		}
	}
	return f, false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
func isAlnum(b byte) bool { return isDigit(b) || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

// isolated reports whether a number stands alone: the bytes before and after
// it are not ASCII letters or digits, nor a '.' or ',' that joins it to
// another digit ("1.2.3.4.5", "12,4111…").
func isolated(text string, start, end int) bool {
	before, after := at(text, start-1), at(text, end)
	return !isAlnum(before) &&
		!((before == '.' || before == ',') && isDigit(at(text, start-2))) &&
		!isAlnum(after) &&
		!((after == '.' || after == ',') && isDigit(at(text, end+1)))
}

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Luhn reports whether a string of digits passes the Luhn checksum.
func Luhn(digits string) bool {
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// IBANValid reports whether an IBAN without spaces passes the ISO 13616
// check: mod 97 of the rearranged number is 1.
func IBANValid(iban string) bool {
	if len(iban) < 15 || len(iban) > 34 {
		return false
	}
	rest := 0
	for _, c := range iban[4:] + iban[:4] {
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		case c >= 'a' && c <= 'z':
			v = int(c-'a') + 10
		default:
			return false
		}
		if v > 9 {
			rest = (rest*100 + v) % 97
		} else {
			rest = (rest*10 + v) % 97
		}
	}
	return rest == 1
}

func all(ok bool, match string) int {
	if ok {
		return len(match)
	}
	return 0
}

// checkIBAN keeps the longest prefix of the match, cut at a space, that
// passes the mod-97 check (so "…7034 BANK" masks the IBAN, not "BANK").
func checkIBAN(match, text string, start int) int {
	if !isolated(text, start, start+len(match)) {
		return 0
	}
	for end := len(match); end > 0; end = strings.LastIndexByte(match[:end], ' ') {
		if IBANValid(strings.ReplaceAll(match[:end], " ", "")) {
			return end
		}
	}
	return 0
}

// checkCard keeps 13-19 digits whose first is 2-6 (the major networks) and
// that pass Luhn.
func checkCard(match, text string, start int) int {
	d := digitsOf(match)
	return all(isolated(text, start, start+len(match)) && d[0] >= '2' && d[0] <= '6' && Luhn(d), match)
}

// checkSSN keeps a US SSN: area 001-899 but not 666, group 01-99, serial
// 0001-9999.
func checkSSN(match, text string, start int) int {
	d := digitsOf(match)
	area, group, serial := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	return all(isolated(text, start, start+len(match)) && area > 0 && area < 900 && area != 666 && group > 0 && serial > 0, match)
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func checkIPv4(match, text string, start int) int {
	ok := isolated(text, start, start+len(match))
	for _, octet := range strings.Split(match, ".") {
		ok = ok && atoi(octet) <= 255
	}
	return all(ok, match)
}

var hasDigit = regexp.MustCompile(`\d`)

// checkIPv6 keeps an address with at least one digit: eight groups, or one
// "::" and two to seven groups (so "A::B" and times like "12:30:45" are not
// addresses).
func checkIPv6(match, text string, start int) int {
	halves := strings.Split(match, "::")
	groups := 0
	for _, g := range strings.Split(match, ":") {
		if g != "" {
			groups++
		}
	}
	edge := func(s string) bool { return strings.HasPrefix(s, ":") || strings.HasSuffix(s, ":") }
	var shape bool
	if len(halves) == 1 {
		shape = groups == 8 && len(strings.Split(match, ":")) == 8
	} else {
		shape = len(halves) == 2 && !edge(halves[0]) && !edge(halves[1]) && groups >= 2 && groups <= 7
	}
	return all(isolated(text, start, start+len(match)) && hasDigit.MatchString(match) && shape, match)
}

// phoneDigits keeps a phone number of min to max digits; with
// sameSeparators, one whose separators are all alike ("05.11.2026 14" is a
// date and a time).
func phoneDigits(lo, hi int, sameSeparators bool) check {
	return func(match, text string, start int) int {
		n := len(digitsOf(match))
		seps := map[rune]bool{}
		for _, c := range match {
			if c == ' ' || c == '.' || c == '-' {
				seps[c] = true
			}
		}
		return all(isolated(text, start, start+len(match)) && n >= lo && n <= hi && !(sameSeparators && len(seps) > 1), match)
	}
}

// rules run in this order.
var rules = []rule{
	{Email, func(f facts) bool { return f.at }, regexp.MustCompile(`[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}`), func(m, _ string, _ int) int { return len(m) }},
	{IBAN, func(f facts) bool { return f.ibanStart }, regexp.MustCompile(`[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?`), checkIBAN},
	{Card, func(f facts) bool { return f.digits >= 13 }, regexp.MustCompile(`\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}|\d{4}[ -]?\d{6}[ -]?\d{4,5}`), checkCard},
	{SSN, func(f facts) bool { return f.digits >= 9 }, regexp.MustCompile(`\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}`), checkSSN},
	{IP, func(f facts) bool { return f.digits >= 4 && f.dots >= 3 }, regexp.MustCompile(`\d{1,3}(?:\.\d{1,3}){3}`), checkIPv4},
	{IP, func(f facts) bool { return f.colonPair && (f.doubleColon || f.colons >= 7) }, regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`), checkIPv6},
	// international: +country code, then groups with optional single separators
	{Phone, func(f facts) bool { return f.plus && f.digits >= 8 }, regexp.MustCompile(`\+[1-9]\d{0,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6}`), phoneDigits(8, 15, false)},
	// North American: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671
	{Phone, func(f facts) bool { return f.digits >= 10 }, regexp.MustCompile(`\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]\d{4}`), phoneDigits(10, 10, false)},
	// national with a trunk 0: 020 7946 0958, 030 901820, 01 42 68 53 00, 07700 900123
	{Phone, func(f facts) bool { return f.digits >= 9 }, regexp.MustCompile(`\(?0[1-9]\d{0,4}\)?(?:[ .-]?\d{2,4}){1,4}`), phoneDigits(9, 12, true)},
}

// Counts says how many values of each kind were masked.
type Counts map[Kind]int

// MaskPII masks every email address, IBAN, payment card number, US SSN, IP
// address and phone number in text with '*', keeping its length, and adds
// what it masked to counts (which may be nil).
func MaskPII(text string, counts Counts) string { return maskPII(text, counts, true) }

// maskPII is MaskPII; without prefilter it runs every rule's regex, which
// the tests use to show the prefilters change nothing.
func maskPII(text string, counts Counts, prefilter bool) string {
	if strings.IndexFunc(text, func(r rune) bool { return r == '@' || r >= '0' && r <= '9' }) < 0 {
		return text
	}
	var out []byte // allocated at the first mask
	// Masking only turns digits into '*', so facts of the text as given
	// bound every later rule's input too.
	f := factsOf(text)
	for _, r := range rules {
		if prefilter && !r.may(f) {
			continue
		}
		cur := text
		if out != nil {
			cur = string(out)
		}
		for _, loc := range r.re.FindAllStringIndex(cur, -1) {
			if out != nil {
				cur = string(out) // earlier masks of this rule count for isolation
			}
			n := r.check(cur[loc[0]:loc[1]], cur, loc[0])
			if n == 0 {
				continue
			}
			if out == nil {
				out = []byte(text)
			}
			for i := loc[0]; i < loc[0]+n; i++ {
				out[i] = '*'
			}
			if counts != nil {
				counts[r.kind]++
			}
		}
	}
	if out == nil {
		return text
	}
	return string(out)
}
