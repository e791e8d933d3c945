package rrdom_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/playhead/playhead/rrdom"
	"github.com/playhead/playhead/testdata"
)

// BenchmarkReal60 applies the real 60-minute recording and builds a
// keyframe every 30 s of it: what building a session's keyframes costs in
// CPU, without storage.
func BenchmarkReal60(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	raws := make([]json.RawMessage, len(events))
	for i, e := range events {
		raws[i] = e.Raw
	}
	var applyNs, keyframeNs, keyframes, bytes int64
	for b.Loop() {
		tree := rrdom.NewTree()
		last := events[0].Timestamp
		for i, e := range raws {
			if err := tree.Apply(e); err != nil {
				b.Fatal(err)
			}
			if ts := events[i].Timestamp; ts-last >= 30_000 {
				kf, err := tree.Keyframe(ts)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range kf {
					bytes += int64(len(e))
				}
				keyframes++
				last = ts
			}
		}
	}
	_ = applyNs
	_ = keyframeNs
	b.ReportMetric(float64(keyframes)/float64(b.N), "keyframes/op")
	b.ReportMetric(float64(bytes)/float64(keyframes)/1024, "KB/keyframe")
}

// BenchmarkMoveLargeSubtree moves a subtree of 200,000 nodes between two
// parents: what the depth bound costs a move (it must not walk the subtree).
func BenchmarkMoveLargeSubtree(b *testing.B) {
	var kids strings.Builder
	for i := range 200_000 {
		if i > 0 {
			kids.WriteByte(',')
		}
		fmt.Fprintf(&kids, `{"type":2,"tagName":"li","attributes":{},"childNodes":[],"id":%d}`, 1000+i)
	}
	page := `{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[` +
		`{"type":2,"tagName":"div","attributes":{},"childNodes":[{"type":2,"tagName":"ul","attributes":{},"childNodes":[` + kids.String() + `],"id":6}],"id":4},` +
		`{"type":2,"tagName":"div","attributes":{},"childNodes":[],"id":5}],"id":3}],"id":2}],"id":1}`
	tree := rrdom.NewTree()
	if err := tree.Apply(json.RawMessage(`{"type":2,"data":{"node":` + page + `,"initialOffset":{"top":0,"left":0}},"timestamp":1}`)); err != nil {
		b.Fatal(err)
	}
	move := func(to int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"ul","attributes":{},"childNodes":[],"id":6}}]},"timestamp":2}`, to))
	}
	there, back := move(5), move(4)
	for b.Loop() {
		if err := tree.Apply(there); err != nil {
			b.Fatal(err)
		}
		if err := tree.Apply(back); err != nil {
			b.Fatal(err)
		}
	}
	if tree.Node(6).Parent != tree.Node(4) {
		b.Fatal("the list did not move")
	}
}
