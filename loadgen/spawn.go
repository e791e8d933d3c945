package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Spawner runs Playhead as child processes, so a run can kill one with
// SIGKILL and start it again on the same data: one server on a data
// directory, or several nodes over one shared index and object store.
type Spawner struct {
	Binary string // the playhead binary
	// DataDir is the server's data directory; with several nodes, node i
	// keeps its own in DataDir/node-i and they share DataDir/keyring.json.
	DataDir       string
	AdminPassword string
	// Stderr receives every node's output (nil: discarded).
	Stderr *os.File

	// Nodes is how many servers run (0 means one). Several nodes need a
	// shared Index and Objects.
	Nodes int
	// Index and Objects, when set, are every node's -index and -objects.
	Index, Objects string
	// Env is added to every node's environment (the object store's
	// credentials, PLAYHEAD_MASTER_KEY).
	Env []string
	// Args are added to every node's command line, after the spawner's
	// own flags (a flag given twice takes the later value).
	Args []string

	IngestKey string

	mu      sync.Mutex
	nodes   []*spawned
	crashed int // the node crashed last
}

// spawned is one node: its address stays the same across restarts.
type spawned struct {
	addr string
	cmd  *exec.Cmd
	past ProcessStats // of its processes killed before
}

// URL returns the first node's base URL.
func (s *Spawner) URL() string { return s.URLs()[0] }

// URLs returns every node's base URL.
func (s *Spawner) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	urls := make([]string, len(s.nodes))
	for i, n := range s.nodes {
		urls[i] = "http://" + n.addr
	}
	return urls
}

// Start starts the nodes and waits until they are ready: the first alone,
// since a first start creates the project and the admin account, then the
// others. It does nothing when they are running already.
func (s *Spawner) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.nodes) > 0 {
		return nil
	}
	n := max(s.Nodes, 1)
	if n > 1 && (s.Index == "" || s.Objects == "") {
		return errors.New("loadgen: several nodes need a shared -index and -objects")
	}
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.nodes = append(s.nodes, &spawned{addr: ln.Addr().String()})
		ln.Close()
	}
	for i := range s.nodes {
		if err := s.startLocked(ctx, i); err != nil {
			return err
		}
		if i == 0 && s.IngestKey == "" {
			key, err := s.ingestKey(ctx, "http://"+s.nodes[0].addr)
			if err != nil {
				return err
			}
			s.IngestKey = key
		}
	}
	return nil
}

func (s *Spawner) startLocked(ctx context.Context, i int) error {
	node := s.nodes[i]
	dataDir := s.DataDir
	args := []string{"serve", "--addr", node.addr, "--demo", "false",
		"--rate-ip", "0", "--rate-project", "0", "--log-level", "warn"}
	if len(s.nodes) > 1 {
		dataDir = filepath.Join(s.DataDir, fmt.Sprintf("node-%d", i))
		args = append(args, "--keyring", filepath.Join(s.DataDir, "keyring.json"))
	}
	args = append(args, "--data", dataDir)
	if s.Index != "" {
		args = append(args, "--index", s.Index)
	}
	if s.Objects != "" {
		args = append(args, "--objects", s.Objects)
	}
	cmd := exec.Command(s.Binary, append(args, s.Args...)...)
	if s.Stderr != nil {
		cmd.Stdout, cmd.Stderr = s.Stderr, s.Stderr
	}
	cmd.Env = append(append(os.Environ(), "PLAYHEAD_ADMIN_PASSWORD="+s.AdminPassword), s.Env...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Binary, err)
	}
	node.cmd = cmd
	url := "http://" + node.addr
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if ready(url) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("node %d on %s not ready after 60 s", i, node.addr)
}

// ready says whether the server at url answers /readyz with 200.
func ready(url string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Crash kills node i with SIGKILL and starts it again.
func (s *Spawner) Crash(ctx context.Context, i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked(i)
	s.crashed = i
	return s.startLocked(ctx, i)
}

func (s *Spawner) killLocked(i int) {
	n := s.nodes[i]
	if n.cmd == nil {
		return
	}
	n.past = n.past.add(readStats(n.cmd.Process.Pid))
	n.cmd.Process.Kill()
	n.cmd.Wait()
	n.cmd = nil
}

// Revive starts again every node that is not ready (a crash loop may have
// left one down), for a clean audit.
func (s *Spawner) Revive(ctx context.Context) error {
	for i, url := range s.URLs() {
		if ready(url) {
			continue
		}
		if err := s.Crash(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// Stop kills every node.
func (s *Spawner) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.nodes {
		s.killLocked(i)
	}
}

// Stats returns the CPU time (summed) and peak memory (the largest) of the
// nodes' processes so far.
func (s *Spawner) Stats() ProcessStats {
	var st ProcessStats
	for _, n := range s.NodeStats() {
		st = st.add(n)
	}
	return st
}

// NodeStats returns each node's CPU time and peak memory so far, its
// killed processes included.
func (s *Spawner) NodeStats() []ProcessStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessStats, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = n.past
		if n.cmd != nil {
			out[i] = out[i].add(readStats(n.cmd.Process.Pid))
		}
	}
	return out
}

func (s *Spawner) ingestKey(ctx context.Context, url string) (string, error) {
	c, err := login(ctx, url, s.AdminPassword)
	if err != nil {
		return "", err
	}
	var me struct {
		Project struct {
			IngestKey string `json:"ingestKey"`
		} `json:"project"`
	}
	if err := getJSON(ctx, c, url+"/api/v1/me", &me); err != nil {
		return "", err
	}
	return me.Project.IngestKey, nil
}

func login(ctx context.Context, base, password string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": password})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("log in to %s: status %d", base, resp.StatusCode)
	}
	return c, nil
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// ProcessStats are a process's CPU time and peak resident memory.
type ProcessStats struct {
	CPU     time.Duration
	PeakRSS int64 // bytes
}

func (a ProcessStats) add(b ProcessStats) ProcessStats {
	return ProcessStats{CPU: a.CPU + b.CPU, PeakRSS: max(a.PeakRSS, b.PeakRSS)}
}

// Since returns the CPU used since before; the peak memory stays.
func (a ProcessStats) Since(before ProcessStats) ProcessStats {
	return ProcessStats{CPU: a.CPU - before.CPU, PeakRSS: a.PeakRSS}
}

// readStats reads /proc (Linux); elsewhere it returns zeros.
func readStats(pid int) ProcessStats {
	var st ProcessStats
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name, which is in parentheses.
		if i := strings.LastIndexByte(string(data), ')'); i > 0 {
			f := strings.Fields(string(data[i+1:]))
			if len(f) > 13 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				stt, _ := strconv.ParseInt(f[12], 10, 64)
				st.CPU = time.Duration(ut+stt) * time.Second / 100 // USER_HZ is 100 on Linux
			}
		}
	}
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				st.PeakRSS = kb << 10
			}
		}
	}
	return st
}
