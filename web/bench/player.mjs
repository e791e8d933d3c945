// Player benchmark: Playhead's keyframe-bounded player against the real
// rrweb-player package (the npm package, its Svelte UI included) and against a
// bare rrweb Replayer holding every event (then pause(t)), on the real
// 60-minute recording (testdata/real60-events.json.gz: 28.7k events, one full
// snapshot at its start), in headless Chromium.
//
//   npm run bench:player                 builds and starts the Go server on a temp dir, loads
//                                        real60 through the ingest API, measures, prints a table
//   npm run bench:player -- --json       the same figures as one JSON object on stdout (bench/run.mjs reads it)
//   npm run bench:player -- --seeks 50   more seek targets (default 30)
//   npm run bench:player -- --server-bin /path/to/playhead   use a built server instead of `go build`
//   CHROMIUM=/path/to/chromium           another browser binary (default /usr/bin/chromium)
//
// The dashboard is served from web/dist in this working tree (the browser's
// requests for it are answered from disk), so the numbers are those of the
// current build even when the server binary embeds an older one.
//
// It measures, in the same browser run:
//   - first frame: from navigation start to the replay showing the session's first moment
//     (every fetch included)
//   - seek latency: wall time of 30 seeks to random targets (seeded: the same targets for all);
//     for Playhead "warm" (after its background indexing) and "cold" for the session's first
//     viewer, right after opening
//   - JS heap after 20 seeks (after a forced garbage collection)
//   - that both show the same DOM at every target (a correctness check, not a timing)
// This is a benchmark, not a test: it fails only when something cannot run.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { waitFor } from "../../bench/lib/util.mjs";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = dirname(web);
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const SEEKS = Number(opt("--seeks", "30"));
const JSON_OUT = args.includes("--json");
/** Only Playhead's open: its first frames and where their time went (for working on the open). */
const OPEN_ONLY = args.includes("--open-only");
const HEAP_AFTER = 20;
/** Steps of STEP_MS ahead from a paused moment, timed in each player. */
const STEPS = 15;
const STEP_MS = 5000;
const COLD_SEEKS = 10;
const OPENS = 9; // first frame: the median of this many opens (each tool's; fewer left the ratio to the machine's moods)
const BROWSER = process.env.CHROMIUM || "/usr/bin/chromium";
const SID = "benchreal60session";
const SID2 = "benchreal120session";
// the server's Content-Security-Policy for the dashboard (server/dashboard.go)
const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; frame-src 'self' blob: about:; " +
  "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const tmp = mkdtempSync(join(tmpdir(), "playhead-bench-"));
let browser = null;

function log(...a) {
  process.stderr.write(a.join(" ") + "\n");
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}


/** A small deterministic PRNG (mulberry32), so both players get the same targets. */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

// ---- the server ----------------------------------------------------------------

const servers = [];

async function startServer(bin = opt("--server-bin", ""), data = "data") {
  if (!bin) {
    bin = join(tmp, "playhead");
    log(`building the server (go build ./cmd/playhead)…`);
    execFileSync("go", ["build", "-o", bin, "./cmd/playhead"], { cwd: repo, stdio: ["ignore", "inherit", "inherit"] });
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data", join(tmp, data), "--rate-ip", "0", "--rate-project", "0", "--demo", "false", "--log-level", "warn", "--seal-idle", "2s"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PLAYHEAD_ADMIN_PASSWORD: "bench-password" },
  });
  servers.push(server);
  let stderr = "";
  server.stderr.on("data", (d) => (stderr += d));
  server.on("exit", (code) => {
    if (code) log(`server exited with ${code}: ${stderr.slice(-2000)}`);
  });
  await waitFor(async () => (await fetch(`${base}/healthz`)).ok, "the server to start");
  const res = await fetch(`${base}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "bench-password" }) });
  if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie").split(";")[0];
  const me = await (await fetch(`${base}/api/v1/me`, { headers: { cookie } })).json();
  return { base, cookie, key: me.project.ingestKey };
}

/** Cuts real60 into 5-second batches as the SDK would and posts them; returns the event count. */
async function ingest({ base, cookie, key }, sid, copies = 1) {
  const one = readFileSync(join(repo, "testdata", "real60-events.json.gz"));
  // `copies` recordings one after the other: a longer session (each copy starts with a keyframe)
  let events = [];
  for (let c = 0; c < copies; c++) {
    const evs = JSON.parse(gunzipSync(one));
    const offset = events.length ? events[events.length - 1].timestamp + 1000 - evs[0].timestamp : 0;
    for (const e of evs) e.timestamp += offset;
    events = events.concat(evs);
  }
  // the server refuses events older than 30 days: move the recording to end a minute ago
  const shift = Date.now() - 60_000 - events[events.length - 1].timestamp;
  for (const e of events) e.timestamp += shift;
  const batches = [];
  for (let s = 0; s < events.length; ) {
    let e = s;
    while (e < events.length && events[e].timestamp - events[s].timestamp < 5000) e++;
    batches.push(events.slice(s, e));
    s = e;
  }
  log(`ingesting ${events.length} events in ${batches.length} batches…`);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const seq = next++;
      if (seq >= batches.length) return;
      const body = JSON.stringify({ v: 1, sid, seq, sdk: "bench", events: batches[seq] });
      const r = await fetch(`${base}/api/v1/ingest?k=${key}`, { method: "POST", headers: { "content-type": "text/plain" }, body });
      if (!r.ok) throw new Error(`ingest batch ${seq}: ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const detail = await waitFor(async () => {
    const r = await fetch(`${base}/api/v1/sessions/${sid}`, { headers: { cookie } });
    if (!r.ok) return null;
    const d = await r.json();
    return d.batches.length === batches.length ? d : null;
  }, "the session to be indexed");
  // The server builds keyframes when it seals the session (2 s after its last
  // batch here): the first viewer is measured with them, when it builds them.
  // It lists them as it builds them: wait until the count has held for 3 s.
  let keyframes = 0;
  let held = 0;
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    const r = await fetch(`${base}/api/v1/sessions/${sid}/keyframes`, { headers: { cookie } });
    const n = r.ok ? ((await r.json()).keyframes || []).length : 0;
    if (!r.ok) break;
    held = n && n === keyframes ? held + 1 : 0;
    keyframes = n;
    if (held >= 3) break;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  log(`${keyframes} server keyframes`);
  return { events: events.length, batches: batches.length, durationMs: detail.session.durationMs, bytes: events.reduce((n, e) => n + JSON.stringify(e).length + 1, 1), keyframes };
}

// ---- the baseline: all events in one Replayer ----------------------------------------

// Two baselines, the same page around them: "replayer", a bare rrweb Replayer
// given every event (what rrweb-player does inside), and "rrweb-player", the
// real rrweb-player package (its Svelte UI and controller included).
const BASELINE_SRC = (kind) => `
import { Replayer } from "@rrweb/replay";
${kind === "rrweb-player" ? 'import RrwebPlayer from "rrweb-player";' : ""}
const sid = new URLSearchParams(location.search).get("sid");
(async () => {
  const res = await fetch("/api/v1/sessions/" + sid + "/events", { credentials: "same-origin" });
  const text = await res.text();
  const events = JSON.parse(text);
  const root = document.getElementById("stage");
  const opts = { showWarning: false, UNSAFE_replayCanvas: false, triggerFocus: false,
    mouseTail: { duration: 600, lineCap: "round", lineWidth: 3, strokeStyle: "rgba(79, 70, 229, 0.55)" } };
  let r, seekTo;
  ${
    kind === "rrweb-player"
      ? `const player = new RrwebPlayer({ target: root, props: { events, width: 1280, height: 800, autoPlay: false, showController: true, ...opts } });
  r = player.getReplayer();
  seekTo = (ms) => player.goto(ms, false);`
      : `r = new Replayer(events, { root, ...opts });
  seekTo = (ms) => r.pause(ms);`
  }
  // the first full snapshot is shown as soon as the replayer has built it
  await new Promise((ok) => r.on("fullsnapshot-rebuilded", ok));
  seekTo(0);
  performance.mark("baseline:first-frame");
  window.__baseline = {
    replayer: r,
    bytes: text.length,
    seek(ms) { const a = performance.now(); seekTo(ms); return performance.now() - a; },
    // a replayer that has done nothing else, on events nothing else has touched
    // (rrweb writes into the events it replays): the reference for the moment
    fresh(ms, signature) {
      const box = document.getElementById("fresh");
      const f = new Replayer(JSON.parse(text), { root: box, showWarning: false, UNSAFE_replayCanvas: false, triggerFocus: false, mouseTail: false });
      f.pause(ms);
      const sig = signature(f.iframe.contentDocument);
      f.destroy();
      return sig;
    },
  };
})().catch((e) => { window.__baselineError = String(e && e.stack || e); });
`;

async function baselineBundle(kind) {
  const out = await esbuild.build({
    stdin: { contents: BASELINE_SRC(kind), resolveDir: web, loader: "js" },
    bundle: true,
    write: false,
    format: "iife",
    minify: true,
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  return out.outputFiles[0].text;
}

// ---- in-page helpers ---------------------------------------------------------------

/** A comparable signature of a replayed document (run in the page). */
const SIGNATURE = `(doc) => {
  const HOVER = /\\.\\\\:hover/;
  const strip = (css) => css.replace(/([^{}]*)\\{/g, (m, sel) => HOVER.test(sel) ? sel.split(",").filter((s) => !HOVER.test(s)).join(",") + "{" : m);
  const c = doc.documentElement.cloneNode(true);
  for (const el of [c, ...c.querySelectorAll("*")]) {
    el.classList.remove(":hover", "rrweb-paused");
    if (el.getAttribute("class") === "") el.removeAttribute("class");
    if (el.tagName === "STYLE") el.textContent = "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName)) { el.removeAttribute("value"); el.removeAttribute("checked"); if (el.tagName === "TEXTAREA") el.textContent = ""; }
    if (el.tagName === "OPTION") el.removeAttribute("selected");
  }
  const rules = [];
  for (const s of doc.styleSheets) { try { for (const r of s.cssRules) rules.push(strip(r.cssText)); } catch {} }
  const values = [...doc.querySelectorAll("input,select,textarea")].map((e) => e.value + (e.type === "checkbox" || e.type === "radio" ? ":" + e.checked : ""));
  const scrolls = [...doc.querySelectorAll("*")].filter((e) => e.scrollTop || e.scrollLeft).map((e) => e.tagName + e.scrollTop + "/" + e.scrollLeft);
  return [c.outerHTML.replace(/\\s+/g, ""), rules.join("").replace(/\\s+/g, ""), values.join(","), scrolls.join(","), doc.defaultView.scrollY].join("\\n");
}`;

/** The steps of an open, in ms from navigation start (run in the page). */
const OPEN_STEP_NAMES = ["html", "htmlKB", "appJs", "playerJs", "session", "sessionServer", "sessionKB", "keyframeList", "firstEvents", "me", "view", "detail", "firstParsed", "first", "keyframes", "engine", "data", "built", "firstFrame"];
const OPEN_STEPS = `(() => {
  const mark = (n) => { const m = performance.getEntriesByName(n)[0]; return m ? m.startTime : NaN; };
  // what the open asked for (the page carries the first answers: those are not fetched)
  const res = performance.getEntriesByType("resource").filter((r) => !(r.startTime >= mark("playhead:first-frame")));
  const nav = performance.getEntriesByType("navigation")[0];
  const entry = (re) => res.find((x) => re.test(x.name));
  const end = (re) => { const r = entry(re); return r ? r.responseEnd : NaN; };
  const session = entry(/\\/api\\/v1\\/sessions\\/[^/?]+(\\?|$)/);
  return {
    html: nav.responseEnd,
    htmlKB: nav.decodedBodySize / 1024,
    appJs: end(/\\/assets\\/app\\.js/),
    playerJs: end(/\\/assets\\/player\\.js/),
    session: session ? session.responseEnd : NaN,
    sessionServer: session ? session.responseStart - session.requestStart : NaN,
    sessionKB: session ? session.decodedBodySize / 1024 : NaN,
    keyframeList: end(/\\/keyframes(\\?|$)/),
    firstEvents: end(/\\/events\\?/),
    me: mark("playhead:open-me"),
    view: mark("playhead:open-view"),
    detail: mark("playhead:open-detail"),
    firstParsed: mark("playhead:first-parsed"),
    first: mark("playhead:open-first"),
    keyframes: mark("playhead:open-keyframes"),
    engine: mark("playhead:open-engine"),
    data: mark("playhead:open-data"),
    built: mark("playhead:open-built"),
    firstFrame: mark("playhead:first-frame"),
  };
})()`;

async function heapMB(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  const dom = await cdp.send("Memory.getDOMCounters").catch(() => null);
  await cdp.detach();
  return { mb: usedSize / 1024 / 1024, nodes: dom ? dom.nodes : null };
}

/** Opens the player n times, each in a new browser context: the first frames, the events bytes before one, the median of each step. */
async function opens(srv, newPage, n) {
  const phFirsts = [];
  const steps = []; // where each open's time went
  let phFirstBytes = 0;
  for (let i = 0; i < n; i++) {
    const p = await newPage();
    // OPEN_TRACE_FILE=path: a Chrome trace of the last open (chrome://tracing, Perfetto)
    const traced = process.env.OPEN_TRACE_FILE && i === n - 1;
    if (traced) await browser.startTracing(p, { path: process.env.OPEN_TRACE_FILE, screenshots: false, categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", ...(process.env.OPEN_TRACE_JS ? ["disabled-by-default-v8.cpu_profiler"] : []), "blink.user_timing", "loading"] });
    await p.goto(`${srv.base}/sessions/${SID}?t=0`);
    await p.waitForFunction(() => performance.getEntriesByName("playhead:first-frame").length > 0, null, { timeout: 60_000 });
    if (traced) await browser.stopTracing();
    const ff = await p.evaluate(() => performance.getEntriesByName("playhead:first-frame")[0].startTime);
    phFirsts.push(ff);
    // the events fetched, and the page itself (it carries the first events)
    phFirstBytes = await p.evaluate((f) => performance.getEntriesByType("resource").filter((r) => /\/events|\/keyframes/.test(r.name) && r.responseEnd <= f).reduce((n, r) => n + (r.decodedBodySize || 0), performance.getEntriesByType("navigation")[0].decodedBodySize || 0), ff);
    steps.push(await p.evaluate(OPEN_STEPS));
    if (process.env.OPEN_TRACE) log(await p.evaluate(() => JSON.stringify([performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource").map((r) => [r.name.slice(-40), r.initiatorType, Math.round(r.startTime), Math.round(r.requestStart), Math.round(r.responseStart), Math.round(r.responseEnd)])])));
    await p.context().close();
  }
  const openSteps = Object.fromEntries(OPEN_STEP_NAMES.map((k) => [k, pct(steps.map((o) => o[k]).filter(Number.isFinite), 50)]));
  return { phFirsts, phFirstBytes, openSteps };
}

/**
 * --open-only: Playhead's first frames (--opens, default 15) and the median
 * of each step of an open. With --compare-bin OTHER, a second server built
 * otherwise is given the same session, and the opens alternate between the
 * two (the same machine state for both).
 */
async function openOnly(srv, newPage) {
  const n = Number(opt("--opens", "15"));
  const other = opt("--compare-bin", "");
  const runs = [{ name: opt("--server-bin", "this tree"), srv, firsts: [], steps: [] }];
  if (other) {
    const srv2 = await startServer(other, "data2");
    await ingest(srv2, SID);
    runs.push({ name: other, srv: srv2, firsts: [], steps: [] });
  }
  await new Promise((ok) => setTimeout(ok, 5000)); // the ingest's after-work settles
  for (let i = 0; i < n; i++) {
    for (const r of runs) {
      const o = await opens(r.srv, () => newPage(r.srv), 1);
      r.firsts.push(...o.phFirsts);
      r.steps.push(o.openSteps);
    }
  }
  const load = loadavg().map((x) => x.toFixed(2)).join(" ");
  for (const r of runs) {
    console.log(`${r.name}: first frame median ${Math.round(pct(r.firsts, 50))} ms (${r.firsts.map(Math.round).join(" ")})`);
    console.log("  " + OPEN_STEP_NAMES.map((k) => `${k} ${Math.round(pct(r.steps.map((o) => o[k]).filter(Number.isFinite), 50))}`).join(", "));
  }
  if (runs.length === 2) console.log(`median ratio ${(pct(runs[1].firsts, 50) / pct(runs[0].firsts, 50)).toFixed(2)} (${runs[1].name} ÷ ${runs[0].name}); load ${load}`);
}

// ---- main ------------------------------------------------------------------------------

async function main() {
  const srv = await startServer();
  const rec = await ingest(srv, SID);
  const targets = Array.from({ length: SEEKS }, ((r) => () => Math.round(r() * rec.durationMs))(rng(60)));
  const coldTargets = Array.from({ length: COLD_SEEKS }, ((r) => () => Math.round(r() * rec.durationMs))(rng(7)));

  log(`starting ${BROWSER}…`);
  browser = await chromium.launch({ executablePath: BROWSER, args: ["--no-sandbox", "--enable-precise-memory-info"] });
  const newPage = async (on = srv) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const [name, ...v] = on.cookie.split("=");
    await ctx.addCookies([{ name, value: v.join("="), url: on.base }]);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => log("page error:", e.message));
    // the dashboard as the server serves it (it embeds web/dist/: build the
    // server after the dashboard, or leave --server-bin out)
    return page;
  };
  if (OPEN_ONLY) return openOnly(srv, newPage);
  const bundles = { replayer: await baselineBundle("replayer"), "rrweb-player": await baselineBundle("rrweb-player") };
  const playerCss = readFileSync(join(web, "node_modules", "rrweb-player", "dist", "style.css"));
  const csp = DASHBOARD_CSP;

  // -- Playhead, cold: open and seek at once; with noStored, as the first
  // viewer of the session, whose player finds no checkpoints stored on the
  // server (server keyframes, when the server built them, serve every viewer)
  const coldSeeks = async (noStored) => {
    const cold = await newPage();
    if (noStored)
      await cold.route("**/api/v1/sessions/*/checkpoints", (route) =>
        route.request().method() === "GET"
          ? route.fulfill({ status: 204 })
          : route.continue(),
      );
    await cold.goto(`${srv.base}/sessions/${SID}?t=0`);
    await cold.waitForFunction(() => window.__playhead && window.__playhead.ready, null, { timeout: 60_000 });
    if (!noStored) await cold.waitForFunction(() => window.__playhead.stats().loadedCheckpoints > 0, null, { timeout: 60_000 });
    // COLD_TRACE_FILE=path: a Chrome trace of the first viewer's cold seeks
    const traced = process.env.COLD_TRACE_FILE && noStored;
    if (traced) await browser.startTracing(cold, { path: process.env.COLD_TRACE_FILE, categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", ...(process.env.OPEN_TRACE_JS ? ["disabled-by-default-v8.cpu_profiler"] : []), "blink.user_timing", "loading"] });
    const times = await cold.evaluate(async (ts) => {
      const out = [];
      for (const t of ts) {
        const a = performance.now();
        await window.__playhead.seek(t);
        out.push(performance.now() - a);
        // a trace's marks: where each seek ran
        performance.measure(`bench:seek ${out.length}`, { start: a });
      }
      return out;
    }, coldTargets);
    if (traced) await browser.stopTracing();
    const stats = await cold.evaluate(() => window.__playhead.stats());
    await cold.context().close();
    return { times, stats };
  };
  log("Playhead: cold seeks of the first viewer…");
  const cold = await coldSeeks(true);
  const coldTimes = cold.times;
  log(`Playhead cold seeks in order (ms): ${coldTimes.map(Math.round).join(" ")}`);
  const serverKeyframes = cold.stats.keyframes || 0;

  // -- Playhead, first frame: the median of a few opens (one is at the mercy of the machine)
  log("Playhead: first frame…");
  const { phFirsts, phFirstBytes, openSteps } = await opens(srv, newPage, OPENS);
  const phFirst = pct(phFirsts, 50);

  // -- Playhead, warm
  log("Playhead: indexing, seeks…");
  const ph = await newPage();
  await ph.goto(`${srv.base}/sessions/${SID}?t=0`);
  await ph.waitForFunction(() => window.__playhead && window.__playhead.ready, null, { timeout: 60_000 });
  const indexStart = Date.now();
  await ph.waitForFunction(() => window.__playhead.stats().indexed, null, { timeout: 300_000, polling: 250 });
  const indexMs = Date.now() - indexStart + 0;
  let nextTimes = null;
  if (!serverKeyframes) {
    await ph.waitForFunction(() => window.__playhead.stats().checkpointsSaved, null, { timeout: 60_000, polling: 250 });
    log("Playhead: cold seeks of the next viewer (checkpoints stored by this one)…");
    nextTimes = (await coldSeeks(false)).times;
  }
  // warm: the player has also fetched every server keyframe by now
  await ph.waitForFunction(() => window.__playhead.stats().keyframesPrefetched, null, { timeout: 120_000, polling: 250 });
  const phStats = await ph.evaluate(() => window.__playhead.stats());
  const phSeeks = [];
  const phForward = []; // the seeks that went forward on the page already built
  let phHeap = null;
  // SEEK_TRACE_FILE=path: a Chrome trace of the warm seeks
  if (process.env.SEEK_TRACE_FILE) await browser.startTracing(ph, { path: process.env.SEEK_TRACE_FILE, categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.stack", "v8.execute", ...(process.env.OPEN_TRACE_JS ? ["disabled-by-default-v8.cpu_profiler"] : []), "blink.user_timing"] });
  for (let i = 0; i < targets.length; i++) {
    const s = await ph.evaluate(async (t) => {
      const a = performance.now();
      await window.__playhead.seek(t);
      const ms = performance.now() - a;
      if (Math.abs(window.__playhead.currentTime() - t) > 2) throw new Error(`seek(${t}) landed at ${window.__playhead.currentTime()}`);
      return { ms, forward: !!window.__playhead.stats().forward };
    }, targets[i]);
    phSeeks.push(s.ms);
    if (s.forward) phForward.push(s.ms);
    if (i + 1 === HEAP_AFTER) phHeap = await heapMB(ph);
  }
  if (process.env.SEEK_TRACE_FILE) await browser.stopTracing();
  // Where the warm seeks' time went: the requests they made.
  const phFetches = await ph.evaluate(() => {
    const pick = (re) => performance.getEntriesByType("resource").filter((r) => re.test(r.name)).map((r) => ({ ms: r.responseEnd - r.startTime, wait: r.responseStart - r.requestStart, bytes: r.decodedBodySize || 0 }));
    return { keyframes: pick(/\/keyframes\/\d+/), events: pick(/\/events\?/) };
  });
  // Stepping ahead: from a paused moment, 5 s on (the +5 s key, the next
  // match), as a developer walks through what led to a bug.
  const stepTargets = targets.slice(0, STEPS).map((t) => Math.min(t, rec.durationMs - STEP_MS - 1));
  const phSteps = [];
  for (const t of stepTargets) {
    phSteps.push(
      await ph.evaluate(async ([t, step]) => {
        await window.__playhead.seek(t);
        const a = performance.now();
        await window.__playhead.seek(t + step);
        return performance.now() - a;
      }, [t, STEP_MS]),
    );
  }

  // -- the baselines
  const openBaseline = async (kind, sid) => {
    const page = await newPage();
    await page.route("**/__bench/**", (route) => {
      const u = new URL(route.request().url());
      if (u.pathname.endsWith(".js")) return route.fulfill({ body: bundles[kind], contentType: "text/javascript" });
      if (u.pathname.endsWith(".css")) return route.fulfill({ body: playerCss, contentType: "text/css" });
      return route.fulfill({
        contentType: "text/html",
        headers: { "content-security-policy": csp },
        body: `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/assets/app.css">${kind === "rrweb-player" ? '<link rel="stylesheet" href="/__bench/rrweb-player.css">' : ""}<script src="/__bench/baseline.js" defer></script></head><body><div id="stage" style="position:relative;width:1280px;height:${kind === "rrweb-player" ? 880 : 800}px;overflow:hidden"></div><div id="fresh" style="position:relative;width:1280px;height:800px;overflow:hidden"></div></body></html>`,
      });
    });
    await page.goto(`${srv.base}/__bench/baseline?sid=${sid}`);
    await page.waitForFunction(() => window.__baseline || window.__baselineError, null, { timeout: 180_000 });
    const err = await page.evaluate(() => window.__baselineError);
    if (err) throw new Error(`${kind}: ${err}`);
    return page;
  };
  const baselines = {};
  for (const kind of ["rrweb-player", "replayer"]) {
    log(`${kind}: first frame, seeks…`);
    const firsts = [];
    for (let i = 1; i < OPENS; i++) {
      const p = await openBaseline(kind, SID);
      firsts.push(await p.evaluate(() => performance.getEntriesByName("baseline:first-frame")[0].startTime));
      await p.context().close();
    }
    const page = await openBaseline(kind, SID);
    firsts.push(await page.evaluate(() => performance.getEntriesByName("baseline:first-frame")[0].startTime));
    const bytes = await page.evaluate(() => window.__baseline.bytes);
    const seeks = [];
    let heap = null;
    for (let i = 0; i < targets.length; i++) {
      seeks.push(await page.evaluate((t) => window.__baseline.seek(t), targets[i]));
      if (i + 1 === HEAP_AFTER) heap = await heapMB(page);
    }
    const steps = [];
    for (const t of stepTargets) {
      await page.evaluate((t) => window.__baseline.seek(t), t);
      steps.push(await page.evaluate((t) => window.__baseline.seek(t), t + STEP_MS));
    }
    baselines[kind] = { page, firsts, first: pct(firsts, 50), bytes, seeks, steps, heap };
  }
  const bl = baselines["rrweb-player"].page;

  // -- the right DOM at every target? The reference is a fresh replayer paused
  // there; the players have seeked all over the session before.
  log("comparing the replayed DOMs with fresh replays…");
  let phSame = 0;
  let blSame = 0;
  const phDiffer = [];
  for (const t of targets) {
    await ph.evaluate((x) => window.__playhead.seek(x), t);
    await bl.evaluate((x) => window.__baseline.seek(x), t);
    const a = await ph.evaluate(`(${SIGNATURE})(window.__playhead.replayer.iframe.contentDocument)`);
    const b = await bl.evaluate(`(${SIGNATURE})(window.__baseline.replayer.iframe.contentDocument)`);
    const ref = await bl.evaluate(`window.__baseline.fresh(${t}, ${SIGNATURE})`);
    if (a === ref) phSame++;
    else phDiffer.push(t);
    if (b === ref) blSame++;
  }

  await ph.context().close();
  for (const b of Object.values(baselines)) await b.page.context().close();

  // -- memory on a two-hour session (the recording twice)
  log("two-hour session: ingesting, then 20 seeks in each player…");
  const rec2 = await ingest(srv, SID2, 2);
  const targets2 = Array.from({ length: HEAP_AFTER }, ((r) => () => Math.round(r() * rec2.durationMs))(rng(120)));
  const ph2 = await newPage();
  await ph2.goto(`${srv.base}/sessions/${SID2}?t=0`);
  await ph2.waitForFunction(() => window.__playhead && window.__playhead.ready, null, { timeout: 60_000 });
  await ph2.waitForFunction(() => window.__playhead.stats().indexed, null, { timeout: 600_000, polling: 500 });
  await ph2.evaluate(async (ts) => {
    for (const t of ts) await window.__playhead.seek(t);
  }, targets2);
  const ph2Heap = await heapMB(ph2);
  const ph2Stats = await ph2.evaluate(() => window.__playhead.stats());
  await ph2.context().close();
  const bl2 = await openBaseline("rrweb-player", SID2);
  await bl2.evaluate((ts) => {
    for (const t of ts) window.__baseline.seek(t);
  }, targets2);
  const bl2Heap = await heapMB(bl2);
  await bl2.context().close();

  const chromeVersion = browser.version();
  const rp = baselines["rrweb-player"];
  const rr = baselines.replayer;
  const seekStats = (xs) => ({ p50: pct(xs, 50), p95: pct(xs, 95), max: Math.max(...xs), samples: xs.map((x) => Math.round(x)) });
  const result = {
    input: {
      recording: "real60",
      events: rec.events,
      minutes: rec.durationMs / 60000,
      batches: rec.batches,
      serverKeyframes,
      browser: chromeVersion,
      viewport: "1280x800",
    },
    playhead: {
      firstFrame: { median: phFirst, samples: phFirsts.map((x) => Math.round(x)) },
      firstFrameBytes: phFirstBytes,
      openSteps,
      coldSeek: seekStats(coldTimes),
      nextViewerSeek: nextTimes && seekStats(nextTimes),
      warmSeek: seekStats(phSeeks),
      warmSeekForward: phForward.map((x) => Math.round(x)),
      stepSeek: seekStats(phSteps),
      heapMB: phHeap.mb,
      heapTwoHourMB: ph2Heap.mb,
      indexSeconds: indexMs / 1000,
      checkpoints: phStats.checkpoints,
      checkpointBytes: phStats.checkpointBytes,
      storeEvents: phStats.storeEvents,
      twoHour: { events: rec2.events, storeEvents: ph2Stats.storeEvents, checkpoints: ph2Stats.checkpoints, checkpointBytes: ph2Stats.checkpointBytes },
      identical: { same: phSame, of: targets.length, differ: phDiffer },
    },
    rrwebPlayer: {
      firstFrame: { median: rp.first, samples: rp.firsts.map((x) => Math.round(x)) },
      bytes: rp.bytes,
      seek: seekStats(rp.seeks),
      stepSeek: seekStats(rp.steps),
      heapMB: rp.heap.mb,
      heapTwoHourMB: bl2Heap.mb,
      identical: { same: blSame, of: targets.length },
    },
    replayer: {
      firstFrame: { median: rr.first, samples: rr.firsts.map((x) => Math.round(x)) },
      bytes: rr.bytes,
      seek: seekStats(rr.seeks),
      stepSeek: seekStats(rr.steps),
      heapMB: rr.heap.mb,
    },
  };
  if (JSON_OUT) {
    console.log(JSON.stringify(result));
    return;
  }

  // ---- the table
  const f = (ms) => `${Math.round(ms).toLocaleString("en-US")} ms`;
  const mb = (x) => `${x.toFixed(1)} MB`;
  const kb = (b) => (b > 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${Math.round(b / 1024)} KB`);
  const ratio = (base, ours) => (ours > 0 ? `${(base / ours).toFixed(1)}×` : "–");
  const cs = result.playhead.coldSeek;
  const ws = result.playhead.warmSeek;
  const row = (name, ours, a, b, fmt) => [name, fmt(ours), fmt(a), ratio(a, ours), fmt(b), ratio(b, ours)];
  const rows = [
    row(`first frame after opening (median of ${OPENS})`, phFirst, rp.first, rr.first, f),
    row(`cold seek p50, first viewer (${COLD_SEEKS} right after opening)`, cs.p50, pct(rp.seeks, 50), pct(rr.seeks, 50), f),
    row(`cold seek p95, first viewer`, cs.p95, pct(rp.seeks, 95), pct(rr.seeks, 95), f),
    row(`warm seek p50 (${targets.length} random targets)`, ws.p50, pct(rp.seeks, 50), pct(rr.seeks, 50), f),
    row(`warm seek p95`, ws.p95, pct(rp.seeks, 95), pct(rr.seeks, 95), f),
    row(`warm seek max`, ws.max, Math.max(...rp.seeks), Math.max(...rr.seeks), f),
    row(`step ${STEP_MS / 1000} s ahead, p50 (${STEPS} paused moments)`, result.playhead.stepSeek.p50, pct(rp.steps, 50), pct(rr.steps, 50), f),
    row(`step ${STEP_MS / 1000} s ahead, p95`, result.playhead.stepSeek.p95, pct(rp.steps, 95), pct(rr.steps, 95), f),
    row(`JS heap after ${HEAP_AFTER} seeks`, phHeap.mb, rp.heap.mb, rr.heap.mb, mb),
    [`JS heap after ${HEAP_AFTER} seeks, two-hour session`, mb(ph2Heap.mb), mb(bl2Heap.mb), ratio(bl2Heap.mb, ph2Heap.mb), "", ""],
    row("events JSON (Playhead: and its page) downloaded before the first frame", phFirstBytes, rp.bytes, rr.bytes, kb),
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length), 10);
  const w = [w0, 10, 13, 7, 13, 7];
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  const out = [];
  out.push(`Player benchmark: real60 (${rec.events.toLocaleString("en-US")} events, ${(rec.durationMs / 60000).toFixed(1)} min, one full snapshot; ${rec.batches} batches of 5 s; ${serverKeyframes} server keyframes), ${chromeVersion}, headless, 1280×800`);
  out.push("");
  out.push(line(["", "Playhead", "rrweb-player", "ratio", "bare Replayer", "ratio"]));
  out.push(line(w.map((n) => "-".repeat(n))));
  for (const r of rows) out.push(line(r));
  out.push("");
  out.push(`First frames (ms): Playhead ${result.playhead.firstFrame.samples.join(" ")}; rrweb-player ${result.rrwebPlayer.firstFrame.samples.join(" ")}; bare Replayer ${result.replayer.firstFrame.samples.join(" ")}`);
  out.push(`Playhead's open, median ms from navigation start: ${OPEN_STEP_NAMES.map((k) => `${k} ${Math.round(openSteps[k])}`).join(", ")} (html, appJs, playerJs, session, keyframeList, firstEvents: responses in, if fetched before the first frame; htmlKB: the page's size, with the answers it carries; sessionServer: the server's time to answer the session's manifest, sessionKB its size; me: the dashboard knows who is logged in; view: the player page starts; detail: it has the manifest; firstParsed, first: the first events parsed, then in the store; keyframes: it has the keyframes' list; engine: the player has read the manifest and starts replaying; data: the first seek has what it needs; built: rebuilt by rrweb; firstFrame: shown)`);
  out.push(`Playhead cold seeks, first viewer, sorted (ms): ${[...cs.samples].sort((a, b) => a - b).join(" ")}`);
  out.push(`Playhead warm seeks, sorted (ms): ${[...ws.samples].sort((a, b) => a - b).join(" ")}; ${phForward.length} of them went forward on the page already built (${phForward.map((x) => Math.round(x)).sort((a, b) => a - b).join(" ") || "none"}), the rest replayed from a keyframe`);
  for (const [name, xs] of Object.entries(phFetches)) {
    if (!xs.length) continue;
    const ms = xs.map((x) => x.ms);
    const wait = xs.map((x) => x.wait);
    out.push(`Playhead requests for ${name} (the whole run): ${xs.length}, p50 ${f(pct(ms, 50))} (server ${f(pct(wait, 50))}), p95 ${f(pct(ms, 95))} (server ${f(pct(wait, 95))}), ${kb(xs.reduce((n, x) => n + x.bytes, 0) / xs.length)} each on average`);
  }
  out.push(`rrweb-player seeks, sorted (ms): ${[...result.rrwebPlayer.seek.samples].sort((a, b) => a - b).join(" ")}`);
  if (nextTimes) out.push(`Playhead, the next viewer (the same ${COLD_SEEKS} seeks right after opening, with the checkpoints the first viewer's player stored): p50 ${f(pct(nextTimes, 50))}, p95 ${f(pct(nextTimes, 95))}, max ${f(Math.max(...nextTimes))}`);
  out.push(`Two-hour session (the recording twice, ${rec2.events.toLocaleString("en-US")} events): Playhead holds ${ph2Stats.storeEvents.toLocaleString("en-US")} events and ${ph2Stats.checkpoints} checkpoints (${kb(ph2Stats.checkpointBytes)}, outside the JS heap)`);
  out.push(`Playhead background indexing: ${(indexMs / 1000).toFixed(1)} s after the first frame, ${phStats.checkpoints} checkpoints, ${kb(phStats.checkpointBytes)} of them; ${phStats.storeEvents.toLocaleString("en-US")} events held; ${phStats.keyframesHeld ?? 0} server keyframes held deflated (${kb(phStats.keyframeBytes ?? 0)}, outside the JS heap)`);
  out.push(`Replayed DOM identical to a fresh replay of the moment: Playhead ${phSame}/${targets.length}${phDiffer.length ? ` (differs at ${phDiffer.join(", ")} ms)` : ""}, rrweb-player ${blSame}/${targets.length} (its forward seeks re-apply events: rrweb issue 1449)`);
  out.push(`rrweb-player = the rrweb-player package given every event fetched and parsed; bare Replayer = one @rrweb/replay Replayer the same way; first frame when the replayer has rebuilt the first full snapshot; seek = goto(t) / pause(t).`);
  out.push(`Heap = V8's used heap after a forced GC (DOM and ArrayBuffers not included); the Playhead page also holds the dashboard and its panels.`);
  console.log(out.join("\n"));
}

async function cleanup() {
  try {
    await browser?.close();
  } catch {
    // ignore
  }
  for (const server of servers) {
    if (server.exitCode !== null) continue;
    server.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(r, 3000);
      server.on("exit", () => {
        clearTimeout(t);
        r();
      });
    });
  }
  rmSync(tmp, { recursive: true, force: true });
}

main()
  .then(cleanup, async (err) => {
    console.error(err);
    await cleanup();
    process.exitCode = 1;
  });
