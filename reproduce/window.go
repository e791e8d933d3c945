package reproduce

import (
	"fmt"
)

// Lookback is how far before a moment the steps of its window start: long
// enough for a checkout or a sign-up, short enough to read in a ticket.
const Lookback = 2 * 60 * 1000

// settle is how long after a moment its window goes on, so that the error a
// click caused a few milliseconds later is in the window of the click.
const settle = 1000

// Problem returns the time of the session's nth (from 1) problem: an
// uncaught error or a failed request, in the order they happened.
func (st *Steps) Problem(n int) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("error: %d is not a number from 1 on", n)
	}
	seen := 0
	for _, s := range st.Steps {
		if s.Kind == KindError || s.Kind == KindRequest {
			if seen++; seen == n {
				return s.Ts, nil
			}
		}
	}
	return 0, fmt.Errorf("error: the session has %d errors and failed requests, not %d", seen, n)
}

// Window returns the steps from Lookback before the moment at to shortly
// after it, starting with the page the user was on then, opened.
func (st *Steps) Window(at int64) *Steps {
	from, to := max(at-Lookback, st.Start), at+settle
	w := *st
	w.From, w.To, w.Around = from, min(to, st.To), at
	w.Steps = []Step{}
	var page string
	for _, p := range st.pages {
		if p.Ts <= from {
			page = p.URL
		}
	}
	for _, s := range st.Steps {
		if s.Ts < from || s.Ts > to {
			continue
		}
		if len(w.Steps) == 0 && s.Kind != KindOpen && page != "" {
			w.Steps = append(w.Steps, Step{Ts: from, Kind: KindOpen, URL: page, Text: "Open " + pathOf(st.BaseURL, page)})
		}
		if len(w.Steps) == 0 || (w.Steps[len(w.Steps)-1].Kind == KindOpen && len(w.Steps) == 1) {
			s.WaitMs = 0 // a wait before the window's first action waited for what the window leaves out
		}
		w.Steps = append(w.Steps, s)
	}
	return &w
}
