package playhead

import (
	"context"
	"log/slog"
)

// NewSlogHandler wraps h so that every record logged with a context that
// carries a session ID (slog.InfoContext(ctx, …), Logger.Log(ctx, …)) gets
// the attribute session.id.
//
// session.id stays a top-level attribute even under WithGroup, where slog
// would otherwise qualify it (as "group.session.id"): Playhead, and
// OpenTelemetry's conventions, look for the key session.id itself. So
// Handle adds it before the groups the logger opened, which for a grouped
// logger means rebuilding the handler chain for that record; an ungrouped
// logger only appends one attribute.
func NewSlogHandler(h slog.Handler) slog.Handler {
	return &slogHandler{top: h, inner: h}
}

type slogHandler struct {
	// top is the wrapped handler with the attributes added before the
	// first group: the level session.id belongs to.
	top slog.Handler
	// nested are the WithGroup and WithAttrs calls made after it, in order.
	nested []func(slog.Handler) slog.Handler
	// inner is top with nested applied: what records without a session go to.
	inner slog.Handler
}

func (h *slogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *slogHandler) Handle(ctx context.Context, r slog.Record) error {
	id := SessionID(ctx)
	if id == "" {
		return h.inner.Handle(ctx, r)
	}
	attr := slog.String(SessionIDKey, id)
	if len(h.nested) == 0 {
		r = r.Clone() // the caller's record may be shared with other handlers
		r.AddAttrs(attr)
		return h.inner.Handle(ctx, r)
	}
	inner := h.top.WithAttrs([]slog.Attr{attr})
	for _, f := range h.nested {
		inner = f(inner)
	}
	return inner.Handle(ctx, r)
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.nested) == 0 {
		top := h.top.WithAttrs(attrs)
		return &slogHandler{top: top, inner: top}
	}
	return h.with(func(next slog.Handler) slog.Handler { return next.WithAttrs(attrs) })
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" { // slog: a handler returns itself for an empty group name
		return h
	}
	return h.with(func(next slog.Handler) slog.Handler { return next.WithGroup(name) })
}

// with returns a handler that applies f after h's nested calls.
func (h *slogHandler) with(f func(slog.Handler) slog.Handler) *slogHandler {
	return &slogHandler{
		top:    h.top,
		nested: append(h.nested[:len(h.nested):len(h.nested)], f),
		inner:  f(h.inner),
	}
}
