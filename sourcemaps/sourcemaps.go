// Package sourcemaps turns the stack traces a page recorded (minified
// files, lines and columns) into the original files, lines, columns and
// a few lines of source, with a release's uploaded source maps. It wraps
// github.com/go-sourcemap/sourcemap.
package sourcemaps

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-sourcemap/sourcemap"
)

// Map is one parsed source map.
type Map struct {
	c *sourcemap.Consumer
}

// Parse reads a source map (version 3, sections included). Any input is
// refused with an error rather than a panic: maps come from uploads.
func Parse(data []byte) (m *Map, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("not a source map: %v", r)
		}
	}()
	c, err := sourcemap.Parse("", data)
	if err != nil {
		return nil, fmt.Errorf("not a source map: %s", strings.TrimPrefix(err.Error(), "sourcemap: "))
	}
	return &Map{c: c}, nil
}

// Frame is one line of a stack trace, as recorded and, when a source map
// covers its file, as written.
type Frame struct {
	Function string    `json:"function,omitempty"`
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Column   int       `json:"column"`
	Original *Original `json:"original,omitempty"`
}

// Original is where a frame was in the original source.
type Original struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Function string `json:"function,omitempty"`
	// Context is the source around the line, when the map holds it
	// (sourcesContent): up to ContextLines before and after.
	Context []SourceLine `json:"context,omitempty"`
}

// SourceLine is one line of original source.
type SourceLine struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}

// ContextLines is how many lines around a frame's line an excerpt shows,
// and MaxLineLength how much of each.
const (
	ContextLines  = 3
	MaxLineLength = 200
	// MaxFrames bounds the frames read from one stack.
	MaxFrames = 50
)

var (
	// V8: "    at fn (https://x/app.js:1:2)", "    at https://x/app.js:1:2",
	// and the console plugin's "fn (https://x/app.js:1:2)".
	v8Frame = regexp.MustCompile(`^\s*(?:at\s+)?(?:(?:async\s+)?(.*?)\s+\()?((?:[a-zA-Z][a-zA-Z0-9+.-]*:)?[^\s()]+?):(\d+):(\d+)\)?\s*$`)
	// SpiderMonkey and JavaScriptCore: "fn@https://x/app.js:1:2".
	geckoFrame = regexp.MustCompile(`^\s*([^@\s]*)@(.+?):(\d+):(\d+)\s*$`)
)

// ParseStack reads the frames of a stack trace (V8's, SpiderMonkey's or
// JavaScriptCore's); lines that are not frames (the message) are skipped.
func ParseStack(stack string) []Frame {
	return ParseFrames(strings.Split(stack, "\n"))
}

// ParseFrames reads one frame from each line that holds one.
func ParseFrames(lines []string) []Frame {
	var out []Frame
	for _, l := range lines {
		if len(out) == MaxFrames {
			break
		}
		if len(l) > 2048 {
			continue
		}
		m := geckoFrame.FindStringSubmatch(l)
		if m == nil {
			m = v8Frame.FindStringSubmatch(l)
		}
		if m == nil {
			continue
		}
		line, err1 := strconv.Atoi(m[3])
		col, err2 := strconv.Atoi(m[4])
		if err1 != nil || err2 != nil || line < 1 || col < 0 {
			continue
		}
		out = append(out, Frame{Function: m[1], File: m[2], Line: line, Column: col})
	}
	return out
}

// Resolve fills in where f was in the original source, if m covers its
// position. The library indexes a map's lists as its mappings say, and an
// uploaded map may say anything: such a frame stays as recorded.
func (m *Map) Resolve(f *Frame) {
	if f.Line < 1 {
		return
	}
	defer func() {
		if recover() != nil {
			f.Original = nil
		}
	}()
	// Stack columns count from 1, the map's from 0.
	source, name, line, col, ok := m.c.Source(f.Line, max(f.Column-1, 0))
	if !ok || source == "" {
		return
	}
	o := &Original{File: source, Line: line, Column: col + 1, Function: name}
	if content := m.c.SourceContent(source); content != "" {
		o.Context = excerpt(content, line)
	}
	f.Original = o
}

func excerpt(content string, line int) []SourceLine {
	lines := strings.Split(content, "\n")
	if line < 1 || line > len(lines) {
		return nil
	}
	var out []SourceLine
	for n := max(1, line-ContextLines); n <= min(len(lines), line+ContextLines); n++ {
		text := strings.TrimRight(lines[n-1], "\r")
		if len(text) > MaxLineLength {
			text = text[:MaxLineLength]
		}
		out = append(out, SourceLine{Line: n, Text: text})
	}
	return out
}

// Match returns which of names (the paths source maps were uploaded
// under) covers the file a frame names: a name equal to the file's URL,
// or the longest that ends its path ("app.min.js", "static/app.min.js");
// "" when none does.
func Match(file string, names []string) string {
	path := file
	if u, err := url.Parse(file); err == nil && u.Path != "" {
		path = u.Path
	}
	best := ""
	for _, n := range names {
		switch {
		case n == file:
			return n
		case strings.HasSuffix(path, "/"+strings.TrimPrefix(n, "/")) || path == n:
			if len(n) > len(best) {
				best = n
			}
		}
	}
	return best
}
