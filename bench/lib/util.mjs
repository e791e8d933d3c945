// Shared helpers of the benchmarks: statistics, progress, ports, the Go
// server, Chromium. Nothing here knows about any one area.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BENCH = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const REPO = join(BENCH, '..');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// ---- statistics -------------------------------------------------------------------

export function quantile(xs, q) {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** median, min, max, quartiles and the samples themselves */
export function summary(xs) {
  const s = xs.filter((x) => Number.isFinite(x));
  return {
    median: quantile(s, 0.5),
    min: s.length ? Math.min(...s) : NaN,
    max: s.length ? Math.max(...s) : NaN,
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
    n: s.length,
    samples: s,
  };
}

/** percentile by nearest rank (used for latencies) */
export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * The ratio a/b as a summary: the median of the per-repeat ratios (repeats are
 * paired: the same repeat ran every recorder back to back), with their spread.
 */
export function pairedRatio(as, bs) {
  const r = [];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) if (bs[i] > 0 && Number.isFinite(as[i])) r.push(as[i] / bs[i]);
  return summary(r);
}

// ---- progress -----------------------------------------------------------------------

const t0 = Date.now();
export function log(...a) {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${s}s] ${a.join(' ')}\n`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(fn, what, ms = 60_000, every = 200) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

// ---- the Go server --------------------------------------------------------------------

/** Builds ./cmd/playhead into dir once per run and returns the binary's path. */
export function buildServer(dir) {
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'playhead');
  if (!existsSync(bin)) {
    log('building the server (go build ./cmd/playhead)…');
    execFileSync('go', ['build', '-o', bin, './cmd/playhead'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}

/**
 * Starts `playhead serve` on a free loopback port with its data in dataDir,
 * logs in as admin and returns { base, cookie, key, proc, stop() }.
 */
export async function startServer(bin, dataDir, extra = []) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const password = 'bench-password-1';
  const proc = spawn(
    bin,
    ['serve', '--addr', `127.0.0.1:${port}`, '--data', dataDir, '--rate-ip', '0', '--rate-project', '0', '--log-level', 'warn', ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PLAYHEAD_ADMIN_PASSWORD: password } },
  );
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((r) => proc.on('exit', r));
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    return (await fetch(`${base}/healthz`)).ok;
  }, 'the server to start', 30_000).catch((e) => {
    throw new Error(`${e.message}\n${stderr}`);
  });
  const res = await fetch(`${base}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const me = await (await fetch(`${base}/api/v1/me`, { headers: { cookie } })).json();
  return {
    base,
    cookie,
    key: me.project.ingestKey,
    proc,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
    },
  };
}

// ---- Chromium --------------------------------------------------------------------------

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// ---- formatting ---------------------------------------------------------------------------

export const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
export const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`) : '–');
export const x2 = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '–');
