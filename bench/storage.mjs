// Area 3: storage per recorded minute. Scripted pages are driven in Chromium
// and recorded by Playhead's SDK (the one the server embeds, /sdk.js) into a
// real Playhead server: the demo shop and two heavier pages of this folder (a
// live data grid, a CSS-in-JS single-page app). Each session's events are
// then read back (GET /api/v1/sessions/{id}/events) and compressed the ways
// the peers store them; Playhead's figure is the bytes of its chunks in the
// data directory's objects/ folder, in their final form.
//
// A server seals a session's batches into chunks two minutes after it goes
// idle, then re-encodes those chunks to their compact form in the background.
// Rather than wait for that, finish() stops the server and runs `playhead
// seal`, which does both now: the chunks it leaves are the ones a server
// keeps. record() records and leaves the server running (the other areas run
// meanwhile); finish() reads the events back, seals and measures.
import { execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompress, gzipSync, constants as zc } from 'node:zlib';
import snappy from 'snappyjs';
import { BENCH, log, sleep, startServer, launchChromium } from './lib/util.mjs';

export const PAGES = [
  { id: 'demo', name: 'demo shop (`/demo/`)' },
  { id: 'grid', name: 'live data grid (`bench/pages/grid.html`)' },
  { id: 'spa', name: 'CSS-in-JS SPA (`bench/pages/spa.html`)' },
];

// ---- drivers: many actions a second ---------------------------------------------------

const pick = (n, r) => Math.floor(r() * n);
function rng(seed) {
  return () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
}
async function wander(page, r) {
  await page.mouse.move(20 + pick(1200, r), 20 + pick(740, r), { steps: 4 });
}
async function clickSome(page, selector, r) {
  const n = await page.locator(selector).count();
  if (n) await page.locator(selector).nth(pick(n, r)).click({ timeout: 2000 });
}

const DRIVERS = {
  async demo(page, r, tick) {
    const onCheckout = await page.evaluate(() => document.body.dataset.page === 'checkout');
    const step = tick % 14;
    if (tick > 0 && tick % 150 === 0) return page.reload(); // a full page load now and then
    if (!onCheckout) {
      if (step < 6) return clickSome(page, '#products button.add-to-cart', r);
      if (step === 6) return page.mouse.wheel(0, 300);
      if (step === 7) return page.mouse.wheel(0, -300);
      if (step === 8 && tick % 28 === 8) return page.click('#throw-error');
      if (step === 9) return page.click('#nav-checkout');
      return wander(page, r);
    }
    if (step === 10) {
      await page.fill('#name', `Ada ${tick}`);
      await page.fill('#email', `ada${tick}@example.com`);
      return page.type('#card', '4242 4242 4242 4242', { delay: 0 });
    }
    if (step === 11) return page.click('#place-order');
    if (step === 12) return page.type('#password', 'correct horse', { delay: 0 });
    if (step === 13) return page.click('#nav-shop');
    return wander(page, r);
  },
  async grid(page, r, tick) {
    if (tick % 60 === 0) return clickSome(page, '#head th', r); // re-sorts every row
    switch (tick % 20) {
      case 1:
      case 11:
      case 15:
        return clickSome(page, '#rows tr', r);
      case 5:
        return tick % 40 === 5 ? page.fill('#search', ['a', 'ac', 'g', 'in', 'ho'][pick(5, r)]) : wander(page, r);
      case 6:
        return tick % 40 === 6 ? page.fill('#search', '') : wander(page, r);
      case 10:
        return page.click(['#dense', '#add', '#remove'][pick(3, r)]);
      case 12:
      case 17:
        return page.mouse.wheel(0, pick(2, r) ? 400 : -400);
      default:
        return wander(page, r);
    }
  },
  async spa(page, r, tick) {
    const route = await page.evaluate(() => location.hash.slice(1) || 'dashboard');
    if (tick % 12 === 0) return page.click(`#nav-${['dashboard', 'list', 'settings', 'feed'][pick(4, r)]}`);
    if (route === 'dashboard') {
      if (await page.locator('#close').count()) return page.click('#close');
      if (tick % 3 === 0) return clickSome(page, 'button.open', r);
    }
    if (route === 'list') {
      if (tick % 8 === 0) return page.fill('#query', ['a', 'al', 'ec', 'o', ''][pick(5, r)]);
      if (tick % 4 === 1) return clickSome(page, 'input.toggle', r);
      if (tick % 4 === 2) return page.mouse.wheel(0, pick(2, r) ? 500 : -500);
    }
    if (route === 'settings' && tick % 2 === 0) {
      await page.fill('input[name=display]', `user ${tick}`);
      await page.fill('input[name=email]', `user${tick}@example.org`);
      await page.fill('input[name=phone]', '+1 555 0100');
      return page.click('#settings button[type=submit]');
    }
    return wander(page, r);
  },
};

// ---- part 1: record --------------------------------------------------------------------

export async function record({ bin, dataDir, seconds, progress }) {
  const srv = await startServer(bin, dataDir, ['--demo', 'true']);
  const browser = await launchChromium();
  const sdkTag = `<script src="/sdk.js" data-project-key="${srv.key}"></script>`;
  const sessions = [];
  try {
    await Promise.all(
      PAGES.map(async (p, i) => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await ctx.newPage();
        let pageErrors = 0;
        page.on('pageerror', () => pageErrors++);
        // the benchmark's own pages, answered at the server's origin so the SDK is same-origin
        await page.route(`${srv.base}/__bench/**`, (route) => {
          const name = new URL(route.request().url()).pathname.split('/').pop();
          const html = readFileSync(join(BENCH, 'pages', `${name}.html`), 'utf8').replace('<!--SDK-->', sdkTag);
          return route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' });
        });
        const url = p.id === 'demo' ? `${srv.base}/demo/` : `${srv.base}/__bench/${p.id}`;
        await page.goto(url);
        await page.waitForFunction(() => window.Playhead && window.Playhead.getSessionId(), null, { timeout: 30_000 });
        const r = rng(1000 + i);
        const end = Date.now() + seconds * 1000;
        let tick = 0;
        let failed = 0;
        while (Date.now() < end) {
          try {
            await DRIVERS[p.id](page, r, tick);
          } catch {
            failed++; // an element moved under the mouse: the page goes on
          }
          tick++;
          if (i === 0 && tick % 50 === 0) progress?.(Math.min(1, 1 - (end - Date.now()) / (seconds * 1000)));
          await sleep(60);
        }
        const sid = await page.evaluate(async () => {
          await window.Playhead.flush();
          return window.Playhead.getSessionId();
        });
        await ctx.close();
        sessions.push({ page: p.id, name: p.name, sid, actions: tick, failedActions: failed, pageErrors });
        log(`storage: ${p.id} recorded, ${tick} actions, session ${sid}`);
      }),
    );
  } catch (e) {
    await browser.close().catch(() => {});
    await srv.stop();
    throw e;
  }
  await browser.close().catch(() => {});
  sessions.sort((a, b) => PAGES.findIndex((p) => p.id === a.page) - PAGES.findIndex((p) => p.id === b.page));
  return { bin, srv, dataDir, sessions, recordedAt: Date.now() };
}

// ---- part 2: wait for the chunks, measure ------------------------------------------------

function sessionObjects(dataDir, sid) {
  // chunks live under their retention period ("r30/sessions/…"; "sessions/…" before periods existed)
  const objects = join(dataDir, 'objects');
  const roots = existsSync(objects) ? readdirSync(objects).filter((d) => d === 'sessions' || /^r\d+$/.test(d)) : [];
  const out = [];
  for (const top of roots) {
    const root = top === 'sessions' ? join(objects, top) : join(objects, top, 'sessions');
    if (!existsSync(root)) continue;
    for (const project of readdirSync(root)) {
      const dir = join(root, project, sid);
      if (!existsSync(dir)) continue;
      const walk = (d) => {
        for (const f of readdirSync(d)) {
          const p = join(d, f);
          const st = statSync(p);
          if (st.isDirectory()) walk(p);
          else out.push({ name: f, bytes: st.size, keyframes: f.endsWith('.kf') });
        }
      };
      walk(dir);
    }
  }
  return out;
}

/** the sequence numbers the sealed chunks cover (their names are FIRST-LAST) */
function sealedSeqs(objs) {
  const seqs = new Set();
  for (const o of objs) {
    const m = /^(\d+)-(\d+)/.exec(o.name);
    if (m) for (let s = Number(m[1]); s <= Number(m[2]); s++) seqs.add(s);
  }
  return seqs;
}

/** zstd CLI over buf, in a child process (so several run at once); resolves with the compressed size */
function zstdCli(buf, args) {
  return new Promise((resolve, reject) => {
    const p = spawn('zstd', [...args, '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let n = 0;
    let err = '';
    p.stdout.on('data', (d) => (n += d.length));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(n) : reject(new Error(`zstd ${args.join(' ')}: ${err || code}`))));
    p.stdin.end(buf);
  });
}

const brotli = promisify(brotliCompress);
const br11 = async (b) => (await brotli(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_LGWIN]: 24, [zc.BROTLI_PARAM_SIZE_HINT]: b.length } })).length;
const sum = async (ps) => (await Promise.all(ps)).reduce((n, x) => n + x, 0);

function batchesOf(events, ms) {
  const out = [];
  for (let s = 0; s < events.length; ) {
    let e = s;
    while (e < events.length && events[e].timestamp - events[s].timestamp < ms) e++;
    out.push(events.slice(s, e));
    s = e;
  }
  return out;
}

export const METHODS = [
  { id: 'raw', name: 'raw JSON' },
  { id: 'gzip6', name: 'gzip -6, whole session' },
  { id: 'gzip6batch', name: 'gzip -6 per 5-s batch (as sent)' },
  { id: 'snappy', name: 'snappy (PostHog)' },
  { id: 'brotli11', name: 'brotli 11, whole session (Highlight)' },
  { id: 'brotli11batch', name: 'brotli 11 per 5-s batch' },
  { id: 'zstd1', name: 'zstd -1, whole session (OpenReplay)' },
  { id: 'zstd19long', name: 'zstd -19 --long=27, whole session (ceiling)' },
  { id: 'zstd19chunks', name: 'zstd -19 --long=27 over Playhead\'s chunk cuts' },
];

/** Events of each sealed chunk, cut where Playhead cut them (by the time range of its batches). */
function chunkCuts(events, objs, refs) {
  const bySeq = new Map(refs.map((r) => [r.seq, r]));
  const cuts = [];
  for (const o of objs) {
    const m = /^(\d+)-(\d+)/.exec(o.name);
    if (!m) continue;
    let from = Infinity;
    let to = -Infinity;
    for (let q = Number(m[1]); q <= Number(m[2]); q++) {
      const r = bySeq.get(q);
      if (r) [from, to] = [Math.min(from, r.firstTs), Math.max(to, r.lastTs)];
    }
    cuts.push({ from, to });
  }
  cuts.sort((a, b) => a.from - b.from);
  return cuts.map((c, i) => events.filter((e) => e.timestamp >= c.from && (i === cuts.length - 1 || e.timestamp < cuts[i + 1].from)));
}

/** Every compression of one session's events; the slow ones run at once (zlib's thread pool, zstd processes). */
async function measureEvents(events, cuts) {
  const json = Buffer.from(JSON.stringify(events));
  const batches = batchesOf(events, 5000).map((b) => Buffer.from(JSON.stringify(b)));
  const slow = {
    brotli11: br11(json),
    brotli11batch: sum(batches.map(br11)),
    zstd1: zstdCli(json, ['-1']),
    zstd19long: zstdCli(json, ['-19', '--long=27']),
    zstd19chunks: sum(cuts.map((c) => zstdCli(Buffer.from(JSON.stringify(c)), ['-19', '--long=27']))),
  };
  const out = {
    raw: json.length,
    gzip6: gzipSync(json, { level: 6 }).length,
    gzip6batch: batches.reduce((n, b) => n + gzipSync(b, { level: 6 }).length, 0),
    snappy: snappy.compress(json).length,
    batches: batches.length,
  };
  for (const [k, p] of Object.entries(slow)) out[k] = await p;
  return out;
}

export async function finish(rec, { progress } = {}) {
  const { bin, srv, dataDir, sessions } = rec;
  try {
    // every session's batches, and its events as the API returns them
    for (const s of sessions) {
      const d = await (await fetch(`${srv.base}/api/v1/sessions/${s.sid}`, { headers: { cookie: srv.cookie } })).json();
      s.seqs = d.batches.map((b) => b.seq);
      s.refs = d.batches;
      s.session = d.session;
      const res = await fetch(`${srv.base}/api/v1/sessions/${s.sid}/events`, { headers: { cookie: srv.cookie } });
      if (!res.ok) throw new Error(`events of ${s.sid}: ${res.status}`);
      s.events = await res.json();
    }
  } finally {
    await srv.stop();
  }
  progress?.(0.1, 'playhead seal');
  log('storage: sealing and compacting the sessions (playhead seal)…');
  const started = Date.now();
  const out = execFileSync(bin, ['seal', '--data', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  log(`storage: ${out.trim().replace(/\n/g, '; ')} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const s of sessions) {
    const have = sealedSeqs(sessionObjects(dataDir, s.sid));
    const missing = s.seqs.filter((q) => !have.has(q));
    if (missing.length) throw new Error(`session ${s.page}: batches ${missing.join(', ')} not sealed`);
  }
  progress?.(0.5, 'measuring');
  const rows = [];
  for (const s of sessions) {
    const evs = s.events;
    const minutes = (evs[evs.length - 1].timestamp - evs[0].timestamp) / 60000;
    const all = sessionObjects(dataDir, s.sid);
    // the chunks are the recording; the keyframes the server built from them are counted apart
    const objs = all.filter((o) => !o.keyframes);
    const sizes = await measureEvents(evs, chunkCuts(evs, objs, s.refs));
    sizes.playhead = objs.reduce((n, o) => n + o.bytes, 0);
    sizes.keyframes = all.filter((o) => o.keyframes).reduce((n, o) => n + o.bytes, 0);
    rows.push({
      page: s.page,
      name: s.name,
      sid: s.sid,
      minutes,
      events: evs.length,
      fullSnapshots: evs.filter((e) => e.type === 2).length,
      chunks: objs.length,
      batchesStored: s.seqs.length,
      actions: s.actions,
      failedActions: s.failedActions,
      pageErrors: s.pageErrors,
      sizes,
      perMinute: Object.fromEntries(Object.entries(sizes).filter(([k]) => k !== 'batches').map(([k, v]) => [k, v / minutes])),
    });
    log(`storage: ${s.page}: ${minutes.toFixed(1)} min, ${evs.length} events, raw ${(sizes.raw / 1024).toFixed(0)} KB, Playhead ${(sizes.playhead / 1024).toFixed(1)} KB, ceiling ${(sizes.zstd19long / 1024).toFixed(1)} KB`);
  }
  const total = { minutes: rows.reduce((n, r) => n + r.minutes, 0), sizes: {} };
  for (const k of [...METHODS.map((m) => m.id), 'playhead', 'keyframes']) total.sizes[k] = rows.reduce((n, r) => n + r.sizes[k], 0);
  total.perMinute = Object.fromEntries(Object.entries(total.sizes).map(([k, v]) => [k, v / total.minutes]));
  let zstdVersion = '';
  try {
    zstdVersion = execFileSync('zstd', ['--version']).toString().trim();
  } catch {
    // reported as missing
  }
  return { rows, total, zstdVersion };
}
