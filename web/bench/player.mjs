// Player benchmark: Playhead's keyframe-bounded player against rrweb-player-style
// playback (every event loaded into one Replayer, then pause(t)), on the real
// 60-minute recording (testdata/real60-events.json.gz: 28.7k events, one full
// snapshot at its start), in headless Chromium.
//
//   npm run bench:player                 builds and starts the Go server on a temp dir, loads
//                                        real60 through the ingest API, measures, prints a table
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
//   - seek latency: wall time of 30 seeks to random targets (seeded: the same targets for both);
//     for Playhead after the background indexing has made its checkpoints, and also "cold",
//     right after opening
//   - JS heap after 20 seeks (after a forced garbage collection)
//   - that both show the same DOM at every target (a correctness check, not a timing)
// This is a benchmark, not a test: it fails only when something cannot run.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
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
const HEAP_AFTER = 20;
const COLD_SEEKS = 10;
const OPENS = 5; // first frame: the median of this many opens
const BROWSER = process.env.CHROMIUM || "/usr/bin/chromium";
const SID = "benchreal60session";
const SID2 = "benchreal120session";
// the server's Content-Security-Policy for the dashboard (server/dashboard.go)
const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; frame-src 'self' blob: about:; " +
  "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const tmp = mkdtempSync(join(tmpdir(), "playhead-bench-"));
let server = null;
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

async function startServer() {
  let bin = opt("--server-bin", "");
  if (!bin) {
    bin = join(tmp, "playhead");
    log(`building the server (go build ./cmd/playhead)…`);
    execFileSync("go", ["build", "-o", bin, "./cmd/playhead"], { cwd: repo, stdio: ["ignore", "inherit", "inherit"] });
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data", join(tmp, "data"), "--rate-ip", "0", "--rate-project", "0", "--demo", "false", "--log-level", "warn"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PLAYHEAD_ADMIN_PASSWORD: "bench-password" },
  });
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
  return { events: events.length, batches: batches.length, durationMs: detail.session.durationMs, bytes: events.reduce((n, e) => n + JSON.stringify(e).length + 1, 1) };
}

// ---- the baseline: all events in one Replayer ----------------------------------------

const BASELINE_SRC = `
import { Replayer } from "@rrweb/replay";
const sid = new URLSearchParams(location.search).get("sid");
(async () => {
  const res = await fetch("/api/v1/sessions/" + sid + "/events", { credentials: "same-origin" });
  const text = await res.text();
  const events = JSON.parse(text);
  const root = document.getElementById("stage");
  const r = new Replayer(events, { root, showWarning: false, UNSAFE_replayCanvas: false, triggerFocus: false,
    mouseTail: { duration: 600, lineCap: "round", lineWidth: 3, strokeStyle: "rgba(79, 70, 229, 0.55)" } });
  // rrweb-player shows the first full snapshot as soon as the replayer has built it
  await new Promise((ok) => r.on("fullsnapshot-rebuilded", ok));
  r.pause(0);
  performance.mark("baseline:first-frame");
  window.__baseline = {
    replayer: r,
    bytes: text.length,
    seek(ms) { const a = performance.now(); r.pause(ms); return performance.now() - a; },
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

async function baselineBundle() {
  const out = await esbuild.build({
    stdin: { contents: BASELINE_SRC, resolveDir: web, loader: "js" },
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

// ---- main ------------------------------------------------------------------------------

async function main() {
  const srv = await startServer();
  const rec = await ingest(srv, SID);
  const targets = Array.from({ length: SEEKS }, ((r) => () => Math.round(r() * rec.durationMs))(rng(60)));
  const coldTargets = Array.from({ length: COLD_SEEKS }, ((r) => () => Math.round(r() * rec.durationMs))(rng(7)));

  log(`starting ${BROWSER}…`);
  browser = await chromium.launch({ executablePath: BROWSER, args: ["--no-sandbox", "--enable-precise-memory-info"] });
  const newPage = async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const [name, ...v] = srv.cookie.split("=");
    await ctx.addCookies([{ name, value: v.join("="), url: srv.base }]);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => log("page error:", e.message));
    // the dashboard from this working tree's dist/
    const ours = (u) => u.pathname.startsWith("/assets/") || /^\/sessions\/[^/]+\/?$/.test(u.pathname);
    await page.route(ours, (route) => {
      const path = new URL(route.request().url()).pathname;
      const file = path.startsWith("/assets/") ? join(web, "dist", path) : join(web, "dist", "index.html");
      const type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html; charset=utf-8";
      return route.fulfill({ body: readFileSync(file), contentType: type, headers: { "content-security-policy": DASHBOARD_CSP } });
    });
    return page;
  };
  const bundle = await baselineBundle();
  const csp = DASHBOARD_CSP;

  // -- Playhead, cold: open and seek at once (checkpoints not made yet);
  // with noStored, as the first viewer of the session, whose player finds
  // no checkpoints stored on the server
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
    const times = await cold.evaluate(async (ts) => {
      const out = [];
      for (const t of ts) {
        const a = performance.now();
        await window.__playhead.seek(t);
        out.push(performance.now() - a);
      }
      return out;
    }, coldTargets);
    await cold.context().close();
    return times;
  };
  log("Playhead: cold seeks…");
  const coldTimes = await coldSeeks(true);

  // -- Playhead, first frame: the median of a few opens (one is at the mercy of the machine)
  log("Playhead: first frame…");
  const phFirsts = [];
  let phFirstBytes = 0;
  for (let i = 0; i < OPENS; i++) {
    const p = await newPage();
    await p.goto(`${srv.base}/sessions/${SID}?t=0`);
    await p.waitForFunction(() => performance.getEntriesByName("playhead:first-frame").length > 0, null, { timeout: 60_000 });
    const ff = await p.evaluate(() => performance.getEntriesByName("playhead:first-frame")[0].startTime);
    phFirsts.push(ff);
    phFirstBytes = await p.evaluate((f) => performance.getEntriesByType("resource").filter((r) => r.name.includes("/events") && r.responseEnd <= f).reduce((n, r) => n + (r.decodedBodySize || 0), 0), ff);
    await p.context().close();
  }
  const phFirst = pct(phFirsts, 50);

  // -- Playhead, warm
  log("Playhead: indexing, seeks…");
  const ph = await newPage();
  await ph.goto(`${srv.base}/sessions/${SID}?t=0`);
  await ph.waitForFunction(() => window.__playhead && window.__playhead.ready, null, { timeout: 60_000 });
  const indexStart = Date.now();
  await ph.waitForFunction(() => window.__playhead.stats().indexed, null, { timeout: 300_000, polling: 250 });
  const indexMs = Date.now() - indexStart + 0;
  await ph.waitForFunction(() => window.__playhead.stats().checkpointsSaved, null, { timeout: 60_000, polling: 250 });
  log("Playhead: cold seeks of the next viewer (checkpoints stored by this one)…");
  const nextTimes = await coldSeeks(false);
  const phStats = await ph.evaluate(() => window.__playhead.stats());
  const phSeeks = [];
  let phHeap = null;
  for (let i = 0; i < targets.length; i++) {
    phSeeks.push(
      await ph.evaluate(async (t) => {
        const a = performance.now();
        await window.__playhead.seek(t);
        const ms = performance.now() - a;
        if (Math.abs(window.__playhead.currentTime() - t) > 2) throw new Error(`seek(${t}) landed at ${window.__playhead.currentTime()}`);
        return ms;
      }, targets[i]),
    );
    if (i + 1 === HEAP_AFTER) phHeap = await heapMB(ph);
  }

  // -- baseline
  log("rrweb-player-style baseline: first frame, seeks…");
  const openBaseline = async (sid) => {
    const page = await newPage();
    await page.route("**/__bench/**", (route) => {
      const u = new URL(route.request().url());
      if (u.pathname.endsWith(".js")) return route.fulfill({ body: bundle, contentType: "text/javascript" });
      return route.fulfill({
        contentType: "text/html",
        headers: { "content-security-policy": csp },
        body: `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/assets/app.css"><script src="/__bench/baseline.js" defer></script></head><body><div id="stage" style="position:relative;width:1280px;height:800px;overflow:hidden"></div><div id="fresh" style="position:relative;width:1280px;height:800px;overflow:hidden"></div></body></html>`,
      });
    });
    await page.goto(`${srv.base}/__bench/baseline?sid=${sid}`);
    await page.waitForFunction(() => window.__baseline || window.__baselineError, null, { timeout: 180_000 });
    const err = await page.evaluate(() => window.__baselineError);
    if (err) throw new Error(`baseline: ${err}`);
    return page;
  };
  const blFirsts = [];
  for (let i = 1; i < OPENS; i++) {
    const p = await openBaseline(SID);
    blFirsts.push(await p.evaluate(() => performance.getEntriesByName("baseline:first-frame")[0].startTime));
    await p.context().close();
  }
  const bl = await openBaseline(SID);
  blFirsts.push(await bl.evaluate(() => performance.getEntriesByName("baseline:first-frame")[0].startTime));
  const blFirst = pct(blFirsts, 50);
  const blBytes = await bl.evaluate(() => window.__baseline.bytes);
  const blSeeks = [];
  let blHeap = null;
  for (let i = 0; i < targets.length; i++) {
    blSeeks.push(await bl.evaluate((t) => window.__baseline.seek(t), targets[i]));
    if (i + 1 === HEAP_AFTER) blHeap = await heapMB(bl);
  }

  // -- the right DOM at every target? The reference is a fresh replayer paused
  // there; both players have seeked all over the session before.
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
  await bl.context().close();

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
  const bl2 = await openBaseline(SID2);
  await bl2.evaluate((ts) => {
    for (const t of ts) window.__baseline.seek(t);
  }, targets2);
  const bl2Heap = await heapMB(bl2);
  await bl2.context().close();

  // ---- the table
  const chromeVersion = browser.version();
  const f = (ms) => `${Math.round(ms).toLocaleString("en-US")} ms`;
  const mb = (x) => `${x.toFixed(1)} MB`;
  const kb = (b) => (b > 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${Math.round(b / 1024)} KB`);
  const ratio = (base, ours) => (ours > 0 ? `${(base / ours).toFixed(1)}×` : "–");
  const rows = [
    [`first frame after opening (median of ${OPENS})`, f(phFirst), f(blFirst), ratio(blFirst, phFirst)],
    [`seek p50 (${targets.length} random targets)`, f(pct(phSeeks, 50)), f(pct(blSeeks, 50)), ratio(pct(blSeeks, 50), pct(phSeeks, 50))],
    [`seek p95`, f(pct(phSeeks, 95)), f(pct(blSeeks, 95)), ratio(pct(blSeeks, 95), pct(phSeeks, 95))],
    [`seek max`, f(Math.max(...phSeeks)), f(Math.max(...blSeeks)), ratio(Math.max(...blSeeks), Math.max(...phSeeks))],
    [`JS heap after ${HEAP_AFTER} seeks`, mb(phHeap.mb), mb(blHeap.mb), ratio(blHeap.mb, phHeap.mb)],
    [`JS heap after ${HEAP_AFTER} seeks, two-hour session`, mb(ph2Heap.mb), mb(bl2Heap.mb), ratio(bl2Heap.mb, ph2Heap.mb)],
    ["events JSON downloaded before the first frame", kb(phFirstBytes), kb(blBytes), ratio(blBytes, phFirstBytes)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length), 10);
  const w = [w0, 12, 20, 8];
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  const out = [];
  out.push(`Player benchmark: real60 (${rec.events.toLocaleString("en-US")} events, ${(rec.durationMs / 60000).toFixed(1)} min, one full snapshot; ${rec.batches} batches of 5 s), ${chromeVersion}, headless, 1280×800`);
  out.push("");
  out.push(line(["", "Playhead", "rrweb-player-style", "ratio"]));
  out.push(line(["-".repeat(w0), "-".repeat(12), "-".repeat(20), "-".repeat(8)]));
  for (const r of rows) out.push(line(r));
  out.push("");
  out.push(`First frames (ms): Playhead ${phFirsts.map((x) => Math.round(x)).join(" ")}; rrweb-player-style ${blFirsts.map((x) => Math.round(x)).join(" ")}`);
  out.push(`Playhead seeks, sorted (ms): ${[...phSeeks].sort((a, b) => a - b).map((x) => Math.round(x)).join(" ")}`);
  out.push(`rrweb-player-style seeks, sorted (ms): ${[...blSeeks].sort((a, b) => a - b).map((x) => Math.round(x)).join(" ")}`);
  out.push(`Playhead, cold (${COLD_SEEKS} seeks right after opening, before its checkpoints exist): p50 ${f(pct(coldTimes, 50))}, p95 ${f(pct(coldTimes, 95))}, max ${f(Math.max(...coldTimes))}`);
  out.push(`Playhead, the next viewer (the same ${COLD_SEEKS} seeks right after opening, with the checkpoints the first viewer's player stored): p50 ${f(pct(nextTimes, 50))}, p95 ${f(pct(nextTimes, 95))}, max ${f(Math.max(...nextTimes))}`);
  out.push(`Two-hour session (the recording twice, ${rec2.events.toLocaleString("en-US")} events): Playhead holds ${ph2Stats.storeEvents.toLocaleString("en-US")} events and ${ph2Stats.checkpoints} checkpoints (${kb(ph2Stats.checkpointBytes)}, outside the JS heap)`);
  out.push(`Playhead background indexing: ${(indexMs / 1000).toFixed(1)} s after the first frame, ${phStats.checkpoints} checkpoints, ${kb(phStats.checkpointBytes)} of them; ${phStats.storeEvents.toLocaleString("en-US")} events held`);
  out.push(`Replayed DOM identical to a fresh replay of the moment: Playhead ${phSame}/${targets.length}${phDiffer.length ? ` (differs at ${phDiffer.join(", ")} ms)` : ""}, rrweb-player-style ${blSame}/${targets.length} (its forward seeks re-apply events: rrweb issue 1449)`);
  out.push(`Baseline = every event fetched and parsed, one Replayer, first frame when it has rebuilt the first full snapshot, seek = pause(t).`);
  out.push(`Heap = V8's used heap after a forced GC (DOM and ArrayBuffers not included); the Playhead page also holds the dashboard and its panels.`);
  console.log(out.join("\n"));
}

async function cleanup() {
  try {
    await browser?.close();
  } catch {
    // ignore
  }
  if (server && server.exitCode === null) {
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
