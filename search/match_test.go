package search_test

import (
	"testing"

	"github.com/playhead/playhead/search"
)

// TestMoments: which moments of a session a query's terms match, the way
// the indexes match its search rows.
func TestMoments(t *testing.T) {
	click := []search.FieldValue{{Field: search.MomentClick}, {Field: search.FieldClick, Value: "Place order"}}
	failed := []search.FieldValue{{Field: search.FieldRequest, Value: "POST https://shop.test/api/order"}, {Field: search.FieldRequestMethod, Value: "POST"},
		{Field: search.FieldRequestStatus, Value: "500"}, {Field: search.FieldRequestFailed, Value: "true"}}
	nav := []search.FieldValue{{Field: search.FieldURL, Value: "https://shop.test/checkout"}}
	rage := []search.FieldValue{{Field: search.MomentRage}}
	errorMoment := []search.FieldValue{{Field: search.MomentError}, {Field: search.FieldError, Value: "TypeError: x is undefined"}}
	tests := []struct {
		query  string
		moment []search.FieldValue
		want   bool
	}{
		{`click:"place ORDER"`, click, true},
		{`click:place*`, click, true},
		{`click:*order`, click, true},
		{`click:pl*der`, click, true},
		{`click:lace*`, click, false},
		{`order`, click, true},
		{`order`, failed, true},
		{`error:order`, click, false},
		{`-click:order`, click, false},
		{`-(click:order) url:checkout`, click, false},
		{`-(click:order) url:checkout`, nav, true},
		{`request.status:>=500`, failed, true},
		{`request.status:<500`, failed, false},
		{`request.method:post`, failed, true},
		{`request.method:pos`, failed, false},
		{`request.failed:true`, failed, true},
		{`request.failed:false`, failed, false},
		{`rage:>0`, rage, true},
		{`rage:0`, rage, false},
		{`rage:<3`, rage, false},
		{`errors:>=1`, errorMoment, true},
		{`errors:>0 browser:firefox`, errorMoment, true},
		{`clicks:>3`, click, true},
		{`typeerror OR rage:>0`, errorMoment, true},
		{`url:/checkout`, nav, true},
		{`url:/cart`, nav, false},
	}
	for _, tt := range tests {
		q, err := search.Parse(tt.query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.query, err)
		}
		m := search.MomentsOf(q)
		if got := m != nil && m.Match(tt.moment); got != tt.want {
			t.Errorf("%q matches %v = %v, want %v", tt.query, tt.moment, got, tt.want)
		}
	}
	for _, query := range []string{"browser:firefox", "user:u1 started:<24h", "-errors:>0", "duration:>2m pages:>=3"} {
		q, _ := search.Parse(query)
		if m := search.MomentsOf(q); m != nil {
			t.Errorf("MomentsOf(%q) = %v, want nil: no moment can match it", query, m.Fields())
		}
	}
}
