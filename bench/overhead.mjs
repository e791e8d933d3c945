// Area 2: overhead on the host page, in headless Chromium. The same workloads
// run with no recorder (the baseline), bare @rrweb/record, Playhead's
// script-tag build, and Sentry's replay, each in a fresh browser context
// served by a local server that also accepts Playhead's ingest and Sentry's
// envelopes. Main-thread time is Chromium's own count (CDP
// Performance.getMetrics TaskDuration, in thread ticks: CPU time of the page's
// main thread, so that other work on a shared machine inflates it far less than
// wall time): everything the main thread did from the start of the workload
// until it settled, then again for the recorder's flush (serialising and
// sending what it buffered).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { BENCH, REPO, log, summary, pairedRatio, launchChromium } from './lib/util.mjs';
import { ownTaskSummary, sdkSourceMap, startTrace, tasksByOwner } from './lib/owntasks.mjs';

/** The contenders of the tables. */
export const RECORDERS = ['none', 'rrweb', 'playhead', 'sentry'];
/** Measured in the same rotation, only to explain a gap (see RRWEB_MASK_SRC). */
export const DIAGNOSTIC = ['rrwebmask'];
const ALL = [...RECORDERS, ...DIAGNOSTIC];
export const RECORDER_NAMES = { none: 'no recorder', rrweb: 'bare `@rrweb/record`', playhead: 'Playhead', sentry: 'Sentry replay', rrwebmask: "rrweb with Playhead's masking options" };
export const WORKLOADS = [
  { id: 'insert', name: '1,000 × 10 inserted nodes' },
  { id: 'deep', name: 'deep nesting (5 × 1,000 levels)' },
  { id: 'attrs', name: '10,000 attribute changes' },
  { id: 'move', name: 'moving 10,000 nodes' },
  { id: 'load', name: '100,000-node page load' },
  { id: 'input', name: 'text-input burst (2,000 keystrokes)' },
];

const RRWEB_SRC = `
import { record } from '@rrweb/record';
const events = [];
window.__ev = events;
record({ emit: (e) => { events.push(e); } });
window.__rec = { ready: () => events.some((e) => e.type === 2), flush: async () => {}, recording: () => true, events: () => events.length };`;

// A diagnostic, not in the tables: bare rrweb with the masking options Playhead
// passes (every text through maskTextSelector '*' and a maskTextFn that keeps
// the text), to tell rrweb's masking path from Playhead's own code.
const RRWEB_MASK_SRC = RRWEB_SRC.replace('record({ emit: (e) => { events.push(e); } });', "record({ emit: (e) => { events.push(e); }, maskTextSelector: '*', maskTextFn: (t) => t, maskInputOptions: { input: true, textarea: true, select: true }, maskInputFn: (t) => t });");

const SENTRY_SRC = `
import * as Sentry from '@sentry/browser';
Sentry.init({
  dsn: 'http://public@' + location.host + '/1',
  integrations: [Sentry.replayIntegration()],
  replaysSessionSampleRate: 1,
  replaysOnErrorSampleRate: 0,
});
const replay = () => Sentry.getReplay();
window.__rec = {
  ready: () => !!(replay() && replay().getReplayId()),
  flush: async () => { if (replay() && replay().getReplayId()) await replay().flush(); },
  recording: () => !!(replay() && replay().getReplayId()),
};`;

async function bundle(src) {
  const out = await esbuild.build({
    stdin: { contents: src, resolveDir: BENCH, loader: 'js' },
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    target: ['es2020'],
    format: 'iife',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return out.outputFiles[0].text;
}

function recorderTags(rec) {
  switch (rec) {
    case 'none':
      return `<script>window.__rec = { ready: () => true, flush: async () => {}, recording: () => false };</script>`;
    case 'rrweb':
      return `<script src="/rec/rrweb.js"></script>`;
    case 'sentry':
      return `<script src="/rec/sentry.js"></script>`;
    case 'rrwebmask':
      return `<script src="/rec/rrwebmask.js"></script>`;
    case 'playhead-checkout':
      // the SDK as it was: a periodic keyframe (every 5 minutes then; every KEYFRAME_EVERY_MS here, to see one)
      return (
        `<script src="/sdk.js"></script>` +
        `<script>Playhead.init({ endpoint: location.origin, projectKey: 'phk_bench', checkoutEveryNms: ${KEYFRAME_EVERY_MS} });` +
        `window.__rec = { ready: () => !!Playhead.getSessionId(), flush: () => Playhead.flush(), recording: () => !!Playhead.getSessionId() };</script>`
      );
    case 'playhead':
      return (
        `<script src="/sdk.js" data-project-key="phk_bench"></script>` +
        `<script>window.__rec = { ready: () => !!Playhead.getSessionId(), flush: () => Playhead.flush(), recording: () => !!Playhead.getSessionId() };</script>`
      );
  }
  throw new Error(rec);
}

/** The page of one workload: what it needs in the DOM before recording starts. */
function pageHtml(workload, rec) {
  let body = '<div id="root"></div>';
  if (workload === 'attrs') body += `<div id="attrs">${'<i>x</i>'.repeat(2000)}</div>`;
  if (workload === 'move') {
    let s = '';
    for (let i = 0; i < 10000; i++) s += `<span>${i}</span>`;
    body += `<div id="from">${s}</div><div id="to"></div>`;
  }
  if (workload === 'input')
    body += `<form id="form"><input name="a"><input name="b"><input type="email" name="c"><textarea name="d"></textarea></form>`;
  if (workload === 'load' || workload === 'idle') {
    // 20,000 rows × (div, span, text, b, text) = 100,000 nodes
    const rows = [];
    for (let i = 0; i < 20000; i++) rows.push(`<div class="r"><span>Item ${i}</span><b>${i * 3}</b></div>`);
    body += `<div id="big">${rows.join('')}</div>`;
    if (workload === 'idle')
      // after load: a small change every 250 ms for KEYFRAME_WINDOW_MS (rrweb checks whether a periodic keyframe is due at each event)
      body += `<script>
      addEventListener('load', () => setTimeout(async () => {
        await window.__bench.settle(300);
        window.__idleStart = performance.now();
        const b = document.querySelector('#big b');
        for (let i = 0; performance.now() - window.__idleStart < ${KEYFRAME_WINDOW_MS}; i++) {
          b.textContent = String(i);
          await new Promise((r) => setTimeout(r, 250));
        }
        await window.__bench.settle(300);
        window.__idleDone = true;
      }, 0));
    </script>`;
    else body += `<script>
      addEventListener('load', () => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          const loadMs = performance.now();
          window.__bench.settle(500).then(() => { window.__loadDone = { loadMs }; });
        };
        ch.port2.postMessage(0);
      });
    </script>`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>overhead ${workload}</title>
<style>body{font:14px sans-serif;margin:8px}.row{display:flex;gap:4px}.r{display:flex;gap:8px}.on{color:green}.off{color:gray}</style>
<script src="/workloads.js"></script>
${recorderTags(rec)}
</head><body>${body}</body></html>`;
}

export async function startPageServer() {
  const bundles = { 'rrweb.js': await bundle(RRWEB_SRC), 'sentry.js': await bundle(SENTRY_SRC), 'rrwebmask.js': await bundle(RRWEB_MASK_SRC) };
  const sdk = readFileSync(join(REPO, 'sdk/browser/dist/playhead.iife.js'));
  const workloads = readFileSync(join(BENCH, 'pages/workloads.js'));
  const counts = { ingest: 0, ingestBytes: 0, envelopes: 0, envelopeBytes: 0 };
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const send = (status, type, data) => {
        res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
        res.end(data);
      };
      if (u.pathname === '/api/v1/ingest') {
        counts.ingest++;
        counts.ingestBytes += body.length;
        return send(200, 'application/json', '{"ok":true}');
      }
      if (/^\/api\/\d+\/envelope\/?$/.test(u.pathname)) {
        counts.envelopes++;
        counts.envelopeBytes += body.length;
        return send(200, 'application/json', '{}');
      }
      if (u.pathname === '/sdk.js') return send(200, 'text/javascript', sdk);
      if (u.pathname === '/workloads.js') return send(200, 'text/javascript', workloads);
      if (u.pathname.startsWith('/rec/')) return send(200, 'text/javascript', bundles[u.pathname.slice(5)] || '');
      if (u.pathname === '/blank') return send(200, 'text/html', '<!doctype html><title>blank</title>');
      if (u.pathname === '/page') {
        const key = `${u.searchParams.get('w')}/${u.searchParams.get('rec')}`;
        if (!pages.has(key)) pages.set(key, pageHtml(u.searchParams.get('w'), u.searchParams.get('rec')));
        return send(200, 'text/html; charset=utf-8', pages.get(key));
      }
      send(404, 'text/plain', 'not found');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${server.address().port}`, counts };
}

async function taskMs(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return m.TaskDuration * 1000;
}

/** One measurement: a fresh context, the page, the workload, the flush. */
export async function measure(browser, base, workload, rec) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    const url = `${base}/page?w=${workload}&rec=${rec}`;
    let main;
    let sync;
    let lt;
    let cdp;
    if (workload === 'load') {
      await page.goto(`${base}/blank`);
      cdp = await ctx.newCDPSession(page);
      await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
      const a = await taskMs(cdp);
      await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
      await page.waitForFunction(() => window.__loadDone && window.__rec.ready(), null, { timeout: 120_000, polling: 100 });
      const b = await taskMs(cdp);
      main = b - a;
      const r = await page.evaluate(() => ({
        loadMs: window.__loadDone.loadMs,
        longTaskMs: window.__bench.longTasks.reduce((n, e) => n + e.duration, 0),
        longestTask: window.__bench.longTasks.reduce((n, e) => Math.max(n, e.duration), 0),
      }));
      sync = r.loadMs;
      lt = r;
    } else {
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__rec && window.__rec.ready(), null, { timeout: 30_000, polling: 100 });
      await page.evaluate(() => window.__bench.settle(200));
      cdp = await ctx.newCDPSession(page);
      await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
      const a = await taskMs(cdp);
      const r = await page.evaluate((w) => window.__bench.run(w), workload);
      const b = await taskMs(cdp);
      main = b - a;
      sync = r.syncMs;
      lt = r;
    }
    const recording = await page.evaluate(() => window.__rec.recording());
    const f0 = await taskMs(cdp);
    await page.evaluate(async () => {
      await window.__rec.flush();
      await window.__bench.settle(150);
    });
    const flush = (await taskMs(cdp)) - f0;
    return { main, flush, total: main + flush, sync, longTaskMs: lt.longTaskMs, longestTask: lt.longestTask, recording, errors };
  } finally {
    await ctx.close();
  }
}

/**
 * Playhead's own code, task by task, in one run of a workload (traced: see
 * lib/owntasks.mjs), from the start of the work (the navigation, for the
 * page load) to the end of the flush.
 */
export async function ownTasks(browser, base, workload, owner) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  try {
    const url = `${base}/page?w=${workload}&rec=playhead`;
    let stop;
    if (workload === 'load') {
      await page.goto(`${base}/blank`);
      stop = await startTrace(await ctx.newCDPSession(page));
      await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
      await page.waitForFunction(() => window.__loadDone && window.__rec.ready(), null, { timeout: 120_000, polling: 100 });
    } else {
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__rec && window.__rec.ready(), null, { timeout: 30_000, polling: 100 });
      await page.evaluate(() => window.__bench.settle(200));
      stop = await startTrace(await ctx.newCDPSession(page));
      await page.evaluate((w) => window.__bench.run(w), workload);
    }
    await page.evaluate(async () => {
      await window.__rec.flush();
      await window.__bench.settle(150);
    });
    const tasks = tasksByOwner(await stop(), `${base}/sdk.js`, owner);
    if (!tasks) throw new Error('the trace has no samples of the SDK');
    return ownTaskSummary(tasks);
  } finally {
    await ctx.close();
  }
}

/** Traced runs of each workload; the median one is reported (see run). */
const TRACED_RUNS = 3;

/** The periodic keyframe of the SDK as it was, made visible in a short window. */
const KEYFRAME_EVERY_MS = 4000;
const KEYFRAME_WINDOW_MS = 10_000;

/**
 * The main-thread cost of periodic keyframes on the 100,000-node page, after
 * its load: the longest task and the main-thread time of KEYFRAME_WINDOW_MS of
 * small changes, with Playhead as it records today (one keyframe per page
 * load) and as it did before (a keyframe every 5 minutes; every
 * KEYFRAME_EVERY_MS here).
 */
export async function periodicKeyframe(browser, base, rec) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/page?w=idle&rec=${rec}`, { waitUntil: 'load', timeout: 120_000 });
    await page.waitForFunction(() => window.__idleStart && window.__rec.ready(), null, { timeout: 120_000, polling: 100 });
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const a = await taskMs(cdp);
    await page.waitForFunction(() => window.__idleDone, null, { timeout: 120_000, polling: 250 });
    const main = (await taskMs(cdp)) - a;
    const lt = await page.evaluate(() => window.__bench.longTasks.filter((e) => e.start >= window.__idleStart));
    return { main, longestTask: lt.reduce((n, e) => Math.max(n, e.duration), 0), longTasks: lt.length };
  } finally {
    await ctx.close();
  }
}

export async function run({ repeats, progress }) {
  const srv = await startPageServer();
  const browser = await launchChromium();
  const chromiumVersion = browser.version();
  const res = {};
  for (const w of WORKLOADS) {
    res[w.id] = {};
    for (const r of ALL) res[w.id][r] = [];
  }
  const errors = new Set();
  let periodic = null;
  let ownCode = null;
  let all = 0;
  try {
    // warm-up: one discarded measurement per recorder (first-use costs of the browser)
    for (const r of ALL) await measure(browser, srv.base, 'attrs', r).catch(() => {});
    // periodic keyframes on the large page: before (every few seconds, to see them) and now (none)
    periodic = { everyMs: KEYFRAME_EVERY_MS, windowMs: KEYFRAME_WINDOW_MS, before: [], now: [] };
    for (let rep = 0; rep < Math.min(2, repeats); rep++) {
      periodic.before.push(await periodicKeyframe(browser, srv.base, 'playhead-checkout'));
      periodic.now.push(await periodicKeyframe(browser, srv.base, 'playhead'));
      progress?.(0, 1, `periodic keyframe: longest task ${Math.round(periodic.before.at(-1).longestTask)} ms before, ${Math.round(periodic.now.at(-1).longestTask)} ms now`);
    }
    let done = 0;
    // the diagnostic recorder runs in the first two repeats only (it explains, it is not compared)
    const inRep = (rep) => (rep < 2 ? ALL : RECORDERS);
    for (let rep = 0; rep < repeats; rep++) all += WORKLOADS.length * inRep(rep).length;
    for (let rep = 0; rep < repeats; rep++) {
      for (const w of WORKLOADS) {
        // rotate the order every repeat, so drift in the machine's load is shared
        const set = inRep(rep);
        const order = set.map((_, i) => set[(i + rep + WORKLOADS.indexOf(w)) % set.length]);
        for (const r of order) {
          let m;
          try {
            m = await measure(browser, srv.base, w.id, r);
          } catch (e) {
            m = { error: String(e.message || e).split('\n')[0] };
            errors.add(`${w.id}/${r}: ${m.error}`);
          }
          for (const e of m.errors || []) errors.add(`${w.id}/${r}: page error: ${e}`);
          res[w.id][r].push(m);
          done++;
          progress?.(done, all, `${w.id} ${r} ${m.error ? 'failed' : `${m.total.toFixed(0)} ms`}`);
        }
      }
    }
    // Playhead's own code in the page's tasks, traced TRACED_RUNS times per
    // workload; the run whose heaviest task for Playhead's code is the
    // median is kept (one traced run on this machine spreads by ±10 ms).
    // Tracing slows the page: these runs are not timed against the others.
    const owner = sdkSourceMap();
    ownCode = {};
    for (const w of WORKLOADS) {
      try {
        const runs = [];
        for (let i = 0; i < TRACED_RUNS; i++) runs.push(await ownTasks(browser, srv.base, w.id, owner));
        runs.sort((a, b) => (a.mostPlayhead?.playhead ?? 0) - (b.mostPlayhead?.playhead ?? 0));
        ownCode[w.id] = { ...runs[runs.length >> 1], runs: runs.map((r) => r.mostPlayhead?.playhead ?? 0) };
      } catch (e) {
        ownCode[w.id] = { error: String(e.message || e).split('\n')[0] };
        errors.add(`${w.id}/playhead traced: ${ownCode[w.id].error}`);
      }
      progress?.(all, all, `${w.id}: Playhead's code at most ${ownCode[w.id].mostPlayhead?.playhead ?? '?'} ms in one task (runs: ${ownCode[w.id].runs?.join(', ') ?? '?'})`);
    }
  } finally {
    await browser.close().catch(() => {});
    srv.server.close();
  }

  // summaries: per workload and recorder, and ratios paired by repeat
  const col = (arr, k) => arr.map((m) => (m.error ? NaN : m[k]));
  const table = WORKLOADS.map((w) => {
    const row = { id: w.id, name: w.name, recorders: {} };
    for (const r of ALL) {
      const a = res[w.id][r];
      row.recorders[r] = {
        total: summary(col(a, 'total')),
        main: summary(col(a, 'main')),
        flush: summary(col(a, 'flush')),
        sync: summary(col(a, 'sync')),
        longTaskMs: summary(col(a, 'longTaskMs')),
        longestTask: summary(col(a, 'longestTask')),
        stoppedRecording: r !== 'none' ? a.filter((m) => !m.error && m.recording === false).length : 0,
        failed: a.filter((m) => m.error).length,
      };
    }
    const base = col(res[w.id].none, 'total');
    row.vsNone = {};
    for (const r of RECORDERS.slice(1)) row.vsNone[r] = pairedRatio(col(res[w.id][r], 'total'), base);
    row.playheadVsRrweb = pairedRatio(col(res[w.id].playhead, 'total'), col(res[w.id].rrweb, 'total'));
    row.playheadVsRrwebRecordingOnly = pairedRatio(col(res[w.id].playhead, 'main'), col(res[w.id].rrweb, 'main'));
    // how much of Playhead's excess is rrweb's own masking path, how much Playhead's code
    row.maskOptionsVsRrweb = pairedRatio(col(res[w.id].rrwebmask, 'main'), col(res[w.id].rrweb, 'main'));
    row.playheadVsMaskOptions = pairedRatio(col(res[w.id].playhead, 'main'), col(res[w.id].rrwebmask, 'main'));
    row.playheadVsSentry = pairedRatio(col(res[w.id].playhead, 'total'), col(res[w.id].sentry, 'total'));
    // the recorder's own cost: (with − without) ratios, which is what "5% over rrweb" means for the page
    const over = (r) => col(res[w.id][r], 'total').map((x, i) => x - base[i]);
    row.overheadPlayheadVsRrweb = pairedRatio(over('playhead'), over('rrweb'));
    return row;
  });
  const med = (list, k) => summary(list.map((m) => m[k]));
  const periodicKeyframes = periodic && {
    everyMs: periodic.everyMs,
    windowMs: periodic.windowMs,
    before: { longestTask: med(periodic.before, 'longestTask'), main: med(periodic.before, 'main'), longTasks: med(periodic.before, 'longTasks') },
    now: { longestTask: med(periodic.now, 'longestTask'), main: med(periodic.now, 'main'), longTasks: med(periodic.now, 'longTasks') },
  };
  return { repeats, chromiumVersion, table, periodicKeyframes, ownCode, errors: [...errors], ingestRequests: srv.counts };
}
