package playhead

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The server maps each to one HTTP status.
const (
	EINVALID      = "invalid"                // the input is malformed or breaks a rule
	EUNAUTHORIZED = "unauthorized"           // a key or login is missing or wrong
	EFORBIDDEN    = "forbidden"              // the request may not be made this way (from another site)
	EMEDIATYPE    = "unsupported_media_type" // the body is not of the type the route takes
	ETOOLARGE     = "too_large"              // the input is over a size limit
	ENOTFOUND     = "not_found"              // the thing asked for does not exist
	EUNAVAILABLE  = "unavailable"            // storage failed; the caller may retry
	ERATELIMITED  = "rate_limited"           // too many requests; the caller may retry later
	EINTERNAL     = "internal"               // a bug
)

// Error is an error meant for the caller: Code says what kind, Message says
// what was wrong in words that name the problem and the limit.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain; other
// errors get a generic message so internals do not leak to callers.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
