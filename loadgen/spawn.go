package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Spawner runs a Playhead server as a child process, so a run can kill it
// with SIGKILL and start it again on the same data directory.
type Spawner struct {
	Binary        string // the playhead binary
	DataDir       string
	AdminPassword string
	Stderr        *os.File

	IngestKey string

	mu   sync.Mutex
	addr string
	cmd  *exec.Cmd
	past ProcessStats // of processes killed before
}

// URL returns the server's base URL.
func (s *Spawner) URL() string { return "http://" + s.addr }

// Start starts the server and waits until it is ready.
func (s *Spawner) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.addr = ln.Addr().String()
		ln.Close()
	}
	if err := s.startLocked(ctx); err != nil {
		return err
	}
	if s.IngestKey == "" {
		key, err := s.ingestKey(ctx)
		if err != nil {
			return err
		}
		s.IngestKey = key
	}
	return nil
}

func (s *Spawner) startLocked(ctx context.Context) error {
	cmd := exec.Command(s.Binary, "serve", "--addr", s.addr, "--data", s.DataDir, "--demo", "false",
		"--rate-ip", "0", "--rate-project", "0", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "PLAYHEAD_ADMIN_PASSWORD="+s.AdminPassword)
	cmd.Stdout, cmd.Stderr = s.Stderr, s.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Binary, err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("server on %s not ready after 60 s", s.addr)
}

// Crash kills the server with SIGKILL and starts it again.
func (s *Spawner) Crash(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.past = s.past.add(readStats(s.cmd.Process.Pid))
	s.cmd.Process.Kill()
	s.cmd.Wait()
	return s.startLocked(ctx)
}

// Restart is Crash under another name, for a clean audit after a crash loop.
func (s *Spawner) Restart(ctx context.Context) error { return s.Crash(ctx) }

// Stop kills the server.
func (s *Spawner) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// Stats returns the CPU time and peak memory of the server processes so far.
func (s *Spawner) Stats() ProcessStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.past.add(readStats(s.cmd.Process.Pid))
}

func (s *Spawner) ingestKey(ctx context.Context) (string, error) {
	c, err := login(ctx, s.URL(), s.AdminPassword)
	if err != nil {
		return "", err
	}
	var me struct {
		Project struct {
			IngestKey string `json:"ingestKey"`
		} `json:"project"`
	}
	if err := getJSON(ctx, c, s.URL()+"/api/v1/me", &me); err != nil {
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
