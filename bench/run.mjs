#!/usr/bin/env node
// Playhead's benchmarks against its peers, side by side, in one command:
//
//   node bench/run.mjs                 every area, full repeats (about 20 minutes on 2 cores)
//   node bench/run.mjs --quick         a smoke run: fewer repeats, shorter recordings and ramps
//   node bench/run.mjs --only=size,overhead,storage,player,ingest
//   node bench/run.mjs --repeats=5     more repeats of the overhead benchmark (default 3, quick 2)
//   node bench/run.mjs --report-only   re-render docs/BENCHMARKS.md from bench/results.json
//
// Writes bench/results.json and regenerates docs/BENCHMARKS.md. Areas:
//   size      SDK size, minified + gzip -9 / brotli 11            (size.mjs)
//   overhead  main-thread cost of recording in headless Chromium   (overhead.mjs)
//   storage   bytes per recorded minute, sessions recorded here    (storage.mjs)
//   player    first frame, seek, memory (web/bench/player.mjs)     (player.mjs)
//   ingest    sessions per core at p99 ≤ 100 ms (playhead loadgen) (ingest.mjs)
//   search    query latency over 100,000 sessions, ingest cost     (search.mjs)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH, REPO, CHROMIUM, log, buildServer } from './lib/util.mjs';
import * as size from './size.mjs';
import * as overhead from './overhead.mjs';
import * as storage from './storage.mjs';
import * as player from './player.mjs';
import * as ingest from './ingest.mjs';
import * as searchArea from './search.mjs';
import { render } from './report.mjs';

const AREAS = ['size', 'overhead', 'storage', 'player', 'ingest', 'search'];
const argv = process.argv.slice(2);
if (argv.includes('-h') || argv.includes('--help')) {
  console.log('usage: node bench/run.mjs [--quick] [--only=size,overhead,storage,player,ingest,search] [--repeats=N (overhead)] [--no-write] [--report-only]');
  process.exit(0);
}
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice(7).split(',').filter(Boolean) : AREAS;
for (const a of only) if (!AREAS.includes(a)) throw new Error(`unknown area ${a}: one of ${AREAS.join(', ')}`);
const noWrite = argv.includes('--no-write');
const reportOnly = argv.includes('--report-only');

const CONFIG = quick
  ? { overheadRepeats: 2, storageSeconds: 45, ingestSteps: [1000, 2500], ingestDurationS: 15, saturationS: 10, clusterSteps: [[1000, 1], [1000, 3]], searchSessions: 20000, searchPgSessions: 5000, searchRounds: 3, searchBenchtime: '2s' }
  : { overheadRepeats: 3, storageSeconds: 150, ingestSteps: [1000, 2500, 5000, 7500, 10000, 12500, 15000], ingestDurationS: 60, saturationS: 30, clusterSteps: [[1000, 1], [2500, 1], [5000, 1], [2500, 3], [5000, 3]], searchSessions: 100000, searchPgSessions: 100000, searchRounds: 7, searchBenchtime: '3s' };
const repeatsArg = argv.find((a) => a.startsWith('--repeats='));
if (repeatsArg) CONFIG.overheadRepeats = Math.max(1, Number(repeatsArg.slice(10)) || CONFIG.overheadRepeats);

// ---- progress: one line per area, redrawn on a terminal -------------------------------------

function progressFor(area) {
  let lastPct = -10;
  return (done, all, text = '') => {
    const f = all === undefined || typeof all === 'string' ? done : done / all;
    const label = typeof all === 'string' ? all : text;
    const pct = Math.round(f * 100);
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${area} ${String(pct).padStart(3)}% ${label}`.slice(0, process.stderr.columns || 120));
    else if (pct >= lastPct + 10) {
      lastPct = pct;
      log(`${area} ${pct}% ${label}`);
    }
  };
}
const endProgress = () => process.stderr.isTTY && process.stderr.write('\r\x1b[2K');

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function machine() {
  const cpus = os.cpus();
  const lscpu = sh('lscpu', []);
  const model = (/Model name:\s*(.+)/.exec(lscpu) || [])[1] || (cpus[0] && cpus[0].model) || '?';
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) osName = `${pretty[1]}, ${os.type()} ${os.release()}`;
  } catch {
    // keep the kernel's name
  }
  return {
    cpu: model.trim(),
    cores: os.availableParallelism ? os.availableParallelism() : cpus.length,
    memGB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: osName,
    chromium: (sh(CHROMIUM, ['--version']).split('\n').filter((l) => /Chromium/.test(l)).pop() || '?').trim(),
    node: process.version,
    go: sh('go', ['version']).replace(/^go version /, ''),
    zstd: sh('zstd', ['--version']).replace(/\*/g, '').trim(),
  };
}

function loadSpan() {
  const before = os.loadavg()[0];
  return () => ({ before, after: os.loadavg()[0], cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length });
}

// ---- the goals ---------------------------------------------------------------------------

function summarize(res) {
  const out = [];
  const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
  if (res.size) {
    const rows = res.size.rows.filter((r) => !r.error);
    const ph = rows.find((r) => r.id === 'playhead');
    const full = rows.filter((r) => r.id !== 'playhead' && r.all3);
    const smaller = full.filter((r) => (r.core ? r.total.gzip : r.gzip) <= ph.gzip);
    const under = ph.gzip <= res.size.goalGzip;
    const ok = under && !smaller.length;
    const lighter = rows.filter((r) => r.id !== 'playhead' && r.gzip < ph.gzip);
    out.push({
      area: 'SDK size',
      goal: '≤ 28 KB gzip, the smallest that records DOM, console and network',
      figure: `${kb(ph.gzip)} gzip (${kb(ph.brotli)} brotli)`,
      status: ok ? 'met' : '**missed**',
      why:
        (under
          ? `${(res.size.goalGzip - ph.gzip).toLocaleString('en-US')} bytes under the budget of ${res.size.goalGzip.toLocaleString('en-US')} bytes (28 KiB). `
          : `${(ph.gzip - res.size.goalGzip).toLocaleString('en-US')} bytes over the budget of ${res.size.goalGzip.toLocaleString('en-US')} bytes (28 KiB). `) +
        (smaller.length ? `Smaller and recording all three: ${smaller.map((r) => r.id).join(', ')}. ` : `Every peer that records DOM, console and network is larger (${full.map((r) => `${r.id} ${(((r.core ? r.total.gzip : r.gzip) / ph.gzip)).toFixed(1)}×`).join(', ')}). `) +
        (lighter.length ? `Smaller but recording less: ${lighter.map((r) => `${r.id} (${r.records})`).join('; ')}.` : ''),
    });
  }
  // a ratio with two decimals, or three where two would put it on the goal
  // it misses (1.004 is over 1.0, and 0.896 under 0.9)
  const ratio = (x, goal, meets) => (Number(x.toFixed(2)) === goal && !meets(x) ? x.toFixed(3) : x.toFixed(2));
  const notOver = (x) => x <= 1.0;
  if (res.overhead) {
    const t = res.overhead.table;
    const over = t.filter((w) => !(w.playheadVsRrweb.median <= 1.0));
    const vsSentry = t.filter((w) => !(w.playheadVsSentry.median < 1));
    const worst = t.reduce((a, w) => (w.playheadVsRrweb.median > a.playheadVsRrweb.median ? w : a), t[0]);
    const explain = over.map((w) => {
      const recOnly = w.playheadVsRrwebRecordingOnly.median;
      const own = w.playheadVsMaskOptions.median;
      const maskOpts = w.maskOptionsVsRrweb.median;
      const where =
        recOnly <= 1.05
          ? 'mostly in its flush: serialising and handing over buffered events on the main thread'
          : !Number.isFinite(own)
            ? 'while recording'
            : own > 1.05
              ? `Playhead's code: ${own.toFixed(2)}× rrweb run with the same masking options`
              : `rrweb's masking path with Playhead's options: ${maskOpts.toFixed(2)}× bare rrweb`;
      const noisy = w.playheadVsRrweb.min <= 1.0 ? '; its spread reaches 1.0, so partly noise' : '';
      return `${w.name} ${ratio(w.playheadVsRrweb.median, 1, notOver)}× (${where}${noisy})`;
    });
    out.push({
      area: 'Overhead vs bare rrweb',
      goal: '≤ 1.0× bare `@rrweb/record`, on every workload, sending included',
      figure: `worst ${ratio(worst.playheadVsRrweb.median, 1, notOver)}× (${worst.name}); ${t.length - over.length} of ${t.length} workloads within`,
      status: over.length ? '**missed**' : 'met',
      why: over.length
        ? `Over: ${explain.join('; ')}. From CPU profiles of these workloads (bench/lib/owntasks.mjs and Chromium's sampling profiler): what Playhead adds is its masking decision per element (\`nearest\` in sdk/browser/src/lib/privacy/dom.ts), the attribute scrub of added and changed nodes (a regular expression per attribute name, PII masking per value), serialising each event once, and sending: a \`fetch\` costs this machine's main thread about 1 ms however small its body, and each batch is handed to the compression worker. Bare \`@rrweb/record\` in this benchmark keeps its events in an array and sends nothing. Where Playhead's bundle does less than bare rrweb (rrweb's patched value setters run from one task instead of one timer per value set: the text-input burst), it comes in under it. Differences of a few percent are below this machine's noise: the same build run against itself differs by up to ±30% on one workload.`
        : '',
    });
    const pk = res.overhead.periodicKeyframes;
    if (pk) {
      const ms = (x) => `${Math.round(x).toLocaleString('en-US')} ms`;
      out.push({
        area: 'Periodic keyframes',
        goal: 'no periodic full snapshot in the page (one per page load), measured on the 100,000-node page',
        figure: `longest task ${ms(pk.now.longestTask.median)} now (${pk.now.longTasks.median} tasks over 50 ms in ${pk.windowMs / 1000} s); with a periodic keyframe ${ms(pk.before.longestTask.median)}`,
        status: pk.now.longTasks.median === 0 ? 'met' : '**missed**',
        why: `The SDK used to re-serialise the whole page every 5 minutes (rrweb's \`checkoutEveryNms\`), in one task; here it was shown every ${pk.everyMs / 1000} s so that the window sees it. The server builds the keyframes a player seeks from, so the page takes one at load only.`,
      });
    }
    const load = t.find((w) => w.id === 'load');
    if (load) {
      const longest = load.recorders.playhead.longestTask.median;
      out.push({
        area: 'Large page snapshot (stretch)',
        goal: 'snapshot a 100,000-node page without any task over 500 ms',
        figure: `longest task ${Math.round(longest)} ms (bare rrweb ${Math.round(load.recorders.rrweb.longestTask.median)} ms)`,
        status: longest <= 500 ? 'met' : '**missed**',
        why:
          (longest <= 500 ? '' : 'rrweb serialises the page in one synchronous call, with the layout its reads of each element\'s scroll offset force. ') +
          "Playhead's build of rrweb fills the array of each element's children from sibling to sibling (not through the child list's iterator), reads an element's attributes through one fetch of its attribute map, and asks the custom element registry only about names with a hyphen.",
      });
    }
    const own = res.overhead.ownCode;
    const ownRows = own ? t.map((w) => ({ name: w.name, o: own[w.id] })).filter((x) => x.o && !x.o.error) : [];
    if (!ownRows.length) {
      out.push({
        area: "Long tasks from Playhead's code",
        goal: "no main-thread task over 50 ms caused by Playhead's own code",
        figure: 'not measured',
        status: '**not measured**',
        why: own ? `The traced runs failed: ${Object.values(own).map((o) => o.error).filter(Boolean).join('; ')}` : 'This overhead run predates the traced runs.',
      });
    } else {
      const caused = ownRows.filter((x) => x.o.caused.length);
      const worst = ownRows.reduce((a, x) => (x.o.mostPlayhead.playhead > a.o.mostPlayhead.playhead ? x : a), ownRows[0]);
      out.push({
        area: "Long tasks from Playhead's code",
        goal: "no main-thread task over 50 ms caused by Playhead's own code",
        figure: `at most ${Math.round(worst.o.mostPlayhead.playhead)} ms of Playhead's code in one task (${worst.name}, ${worst.o.runs ? `the median of ${worst.o.runs.length} traced runs: ${worst.o.runs.map((x) => Math.round(x)).join(', ')} ms` : 'traced'}); ${caused.length ? `${caused.length} of ${ownRows.length} workloads have a task it made long` : `no task it made long in ${ownRows.length} workloads`}`,
        status: caused.length ? '**missed**' : 'met',
        why: caused.length
          ? `A task counts when Playhead's own code took over 50 ms of it, or the task would be under 50 ms without it: ${caused.map((x) => `${x.name}: ${x.o.caused.map((c) => `${Math.round(c.ms)} ms task, ${Math.round(c.playhead)} ms Playhead's`).join(', ')}`).join('; ')}. Traced runs are slower than untraced ones.`
          : '',
      });
    }
    const stopped = t.filter((w) => w.recorders.sentry.stoppedRecording).map((w) => w.name);
    out.push({
      area: 'Overhead vs Sentry',
      goal: 'less than Sentry replay',
      figure: `${t.length - vsSentry.length} of ${t.length} workloads cheaper`,
      status: vsSentry.length ? '**missed**' : 'met',
      why:
        (vsSentry.length ? `Not cheaper: ${vsSentry.map((w) => `${w.name} ${w.playheadVsSentry.median.toFixed(2)}×`).join('; ')}. ` : '') +
        (stopped.length ? `Sentry stopped recording during: ${stopped.join('; ')} (its 10,000-mutation limit), so those rows compare Playhead recording with Sentry not recording.` : ''),
    });
  }
  if (res.storage && !res.storage.error) {
    const s = res.storage;
    const ratio = s.total.sizes.playhead / s.total.sizes.zstd19long;
    const chunksRatio = s.total.sizes.zstd19chunks / s.total.sizes.zstd19long;
    const worst = s.rows.reduce((a, r) => (r.sizes.playhead / r.sizes.zstd19long > a.sizes.playhead / a.sizes.zstd19long ? r : a), s.rows[0]);
    out.push({
      area: 'Storage',
      goal: '≤ 1.10× the zstd -19 --long ceiling on every workload, storing seekable chunks',
      figure: `${kb(s.total.perMinute.playhead)} per recorded minute, ${ratio.toFixed(2)}× the ceiling (worst: ${worst.page} ${(worst.sizes.playhead / worst.sizes.zstd19long).toFixed(2)}×)${s.total.sizes.keyframes !== undefined ? `; server keyframes ${kb(s.total.perMinute.keyframes)} per recorded minute besides` : ''}`,
      status: ratio <= 1.1 && worst.sizes.playhead / worst.sizes.zstd19long <= 1.1 ? 'met' : '**missed**',
      why:
        ratio <= 1.1 && worst.sizes.playhead / worst.sizes.zstd19long <= 1.1
          ? ''
          : `Chunks are sealed with zstd, then re-encoded with brotli quality 10 (a window of up to 4 MB) once their session is quiet (chunk/chunk.go, ingest/compact.go); each chunk is compressed alone, so a seek needs one chunk. The same chunk cuts compressed with zstd -19 --long would be ${chunksRatio.toFixed(2)}× the ceiling, so ${chunksRatio <= 1.1 ? 'the chunking itself costs little: the gap is the encoder' : 'most of the gap is the cutting into chunks (each keyframe starts a chunk that repeats much of the previous ones): a dictionary shared by a session\'s chunks would close it'}.`,
    });
  }
  if (res.player) {
    const p = res.player;
    const ms = (x) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} ms` : '?');
    const x = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : '?');
    const note = ' Wall-clock times in a browser on a shared 2-core machine: read them with the load average.';
    if (!p.measured || !p.figures.coldSeekP95) out.push({ area: 'Player', goal: 'open ≤ 150 ms and ≥ 3× faster than rrweb-player; cold seek p95 ≤ 100 ms; warm seek p95 ≤ 50 ms', figure: 'not measured', status: '**not measured**', why: p.reason || 'figures from an earlier version of the benchmark' });
    else {
      const f = p.figures;
      const keyframes = f.input?.serverKeyframes ? '' : ' The server built no keyframes in this run (none are built yet), so the first viewer seeks from the session\'s one recorded keyframe and the player\'s own checkpoints.';
      const ff = f.firstFrame;
      out.push({
        area: 'Player: open (real60)',
        goal: 'navigation start to first replayed frame ≤ 150 ms, and ≥ 3× faster than rrweb-player',
        figure: `${ms(ff.playhead)}; rrweb-player ${ms(ff.rrweb)} (${x(ff.rrweb, ff.playhead)}), bare Replayer ${ms(ff.replayer)} (${x(ff.replayer, ff.playhead)})`,
        status: ff.playhead <= 150 && ff.rrweb / ff.playhead >= 3 ? 'met' : '**missed**',
        why: ff.playhead <= 150 && ff.rrweb / ff.playhead >= 3 ? '' : note,
      });
      const c = f.coldSeekP95;
      out.push({
        area: 'Player: cold seek, first viewer',
        goal: 'p95 ≤ 100 ms right after opening',
        figure: `p95 ${ms(c.playhead)} (p50 ${ms(f.coldSeekP50.playhead)}); rrweb-player p95 ${ms(c.rrweb)} (${x(c.rrweb, c.playhead)}), bare Replayer ${ms(c.replayer)} (${x(c.replayer, c.playhead)})`,
        status: c.playhead <= 100 ? 'met' : '**missed**',
        why: c.playhead <= 100 ? '' : note + keyframes,
      });
      const w = f.seekP95;
      out.push({
        area: 'Player: warm seek',
        goal: 'p95 ≤ 50 ms',
        figure: `p95 ${ms(w.playhead)} (p50 ${ms(f.seekP50.playhead)}); rrweb-player p95 ${ms(w.rrweb)} (${x(w.rrweb, w.playhead)}), bare Replayer ${ms(w.replayer)} (${x(w.replayer, w.playhead)})`,
        status: w.playhead <= 50 ? 'met' : '**missed**',
        why: w.playhead <= 50 ? '' : note,
      });
    }
  }
  if (res.ingest && !res.ingest.error) {
    const g = res.ingest;
    out.push({
      area: 'Ingest',
      goal: '≥ 10,000 sessions per core of server CPU at ack p99 ≤ 100 ms; ≥ 5,000 per core with the load generator on the same cores; throughput ≥ 0.5× the raw write limit',
      figure: g.best
        ? `${Math.round(g.sessionsPerServerCore).toLocaleString('en-US')} sessions per core of server CPU (${g.maxSessions.toLocaleString('en-US')} sessions on ${g.best.serverCores} cores${g.ceilingNotFound ? ', the largest step tried' : ''}); ${Math.round(g.sessionsPerCore).toLocaleString('en-US')} per core with the load generator beside it; saturated ${g.saturation.rawRatio ?? '?'}× the raw write+fsync limit`
        : 'no step passed',
      status: g.best && g.sessionsPerServerCore >= 10000 && g.sessionsPerCore >= 5000 && (g.saturation.rawRatio ?? 0) >= 0.5 ? 'met' : '**missed**',
      why: g.best
        ? `At one batch per session every 5 s the raw write+fsync-per-batch handler would saturate at ${Math.round(g.rawSessions || 0).toLocaleString('en-US')} sessions; Playhead held p99 ≤ 100 ms up to ${g.maxSessions.toLocaleString('en-US')} (${(g.vsRawSessions || 0).toFixed(2)}× that) with its load generator on the same cores.${g.ceilingNotFound ? ' The ramp stopped at its largest step, so the real limit is higher.' : ''}${g.sessionsPerServerCore < 10000 || g.sessionsPerCore < 5000 ? ` Past it the two cores are saturated (server and load generator), and the p99 is time spent waiting for a core. In a profile of the server at 10,000 sessions (about 0.5 ms of CPU per batch) the SQLite write path takes 34% (pure-Go SQLite: the trigram index 8%, the commit's log writes and sync 8%, reading the sessions' state 5%), decoding and scrubbing the JSON 22%, gunzip 10%, what the index extracts 8%, S2 for the pending batch 5%. Batch data out of the index (a group-committed segment file) and the sessions' state kept between batches are the largest steps left.` : ''}`
        : (() => {
            const lo = g.steps[0] || {};
            const sat = g.saturation || {};
            return `Even the smallest step, ${lo.sessions} sessions, had ack p99 ${lo.p99} ms while p50 was ${lo.p50} ms: the tail misses, not the typical batch. The load average around this area was ${g.load ? `${g.load.before.toFixed(1)} → ${g.load.after.toFixed(1)}` : '?'} on 2 cores, so the server often waited for a core; run it on a quiet machine before reading this as the server's limit.${sat.rawRatio ? ` As fast as answered, Playhead acknowledged ${sat.throughput} batches/s, ${sat.rawRatio}× the raw write+fsync-per-batch handler (group commit pays off).` : ''}`;
          })(),
    });
  }
  if (res.search && !res.search.error) {
    const q = res.search.queries;
    const missed = q.queries.filter((x) => !x.met);
    const worst = q.queries.reduce((a, x) => (x.p95Ms > a.p95Ms ? x : a), q.queries[0]);
    const wrong = q.queries.filter((x) => x.mismatch);
    out.push({
      area: 'Search latency',
      goal: `p95 ≤ ${q.targetMs} ms for every query shape over ${q.sessions.toLocaleString('en-US')} sessions (embedded SQLite)`,
      figure: `${q.queries.length - missed.length} of ${q.queries.length} queries within; worst p95 ${worst.p95Ms.toFixed(1)} ms (${worst.name}); ${Math.round(q.bytes.searchPerSession).toLocaleString('en-US')} search-index bytes per session`,
      status: missed.length || wrong.length ? '**missed**' : 'met',
      why:
        (missed.length ? `Over: ${missed.map((x) => `${x.name} (\`${x.query}\`) ${x.p95Ms.toFixed(1)} ms`).join('; ')}. ` : '') +
        (wrong.length ? `Answers differing from the naive scan: ${wrong.map((x) => `${x.name}: ${x.mismatch}`).join('; ')}.` : ''),
    });
    const g = res.search.ingest;
    out.push({
      area: 'Search indexing cost',
      goal: 'ingest throughput with search indexing ≥ 0.9× without it',
      figure: `${ratio(g.throughputRatio.median, 0.9, (x) => x >= 0.9)}× throughput (rounds ${g.throughputRatio.min.toFixed(2)}–${g.throughputRatio.max.toFixed(2)}); ${ratio(g.cpuRatio.median, 0.9, (x) => x >= 0.9)}× by CPU per batch (${g.cpuRatio.min.toFixed(2)}–${g.cpuRatio.max.toFixed(2)})`,
      // Throughput on a shared machine swings from round to round; the CPU
      // per batch is steadier, and on a CPU-bound server it is the limit.
      status: g.throughputRatio.median >= 0.9 && g.cpuRatio.median >= 0.9 ? 'met' : '**missed**',
      why:
        g.throughputRatio.median >= 0.9 && g.cpuRatio.median >= 0.9
          ? ''
          : `CPU per batch: ${g.on.cpuUsPerBatch.toFixed(0)} µs with indexing, ${g.off.cpuUsPerBatch.toFixed(0)} µs without; a server bound by CPU would ingest ${g.cpuRatio.median.toFixed(2)}× as much. What indexing adds is reading the clicked elements (decoding a full snapshot once per page, and the mutations that name a clicked node), the search values, and their rows in the trigram index; the throughput rounds on this shared machine spread too widely to tell a few percent apart.`,
    });
  }
  return out;
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const tmp = mkdtempSync(join(os.tmpdir(), 'playhead-bench-'));
  const res = { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), quick, only, config: CONFIG, machine: machine() };
  log(`Playhead benchmarks${quick ? ' (quick)' : ''}: ${only.join(', ')} on ${res.machine.cpu}, ${res.machine.cores} cores, load average ${os.loadavg()[0].toFixed(1)}`);
  if (!existsSync(join(BENCH, 'node_modules'))) throw new Error('bench/node_modules is missing: run `npm ci` in bench/ first');
  let bin;
  let rec;
  const needsServer = only.some((a) => ['storage', 'player', 'ingest'].includes(a));
  try {
    if (needsServer) bin = buildServer(tmp);

    if (only.includes('size')) {
      log('== 1. SDK size');
      res.size = await size.run();
    }
    if (only.includes('storage')) {
      // recorded first, measured after the overhead area (the server keeps running meanwhile)
      log(`== 3. storage: recording 3 sessions for ${CONFIG.storageSeconds} s (in parallel)…`);
      const l = loadSpan();
      try {
        rec = await storage.record({ bin, dataDir: join(tmp, 'storage-data'), seconds: CONFIG.storageSeconds, progress: progressFor('storage recording') });
        endProgress();
        rec.load = l;
      } catch (e) {
        endProgress();
        log(`storage: recording failed: ${e.stack || e}`);
        res.storage = { error: String(e.message || e).split('\n')[0] };
      }
    }
    if (only.includes('overhead')) {
      log(`== 2. overhead: ${overhead.WORKLOADS.length} workloads × ${overhead.RECORDERS.length} recorders (+ ${overhead.DIAGNOSTIC.length} diagnostic) × ${CONFIG.overheadRepeats} repeats`);
      const l = loadSpan();
      res.overhead = await overhead.run({ repeats: CONFIG.overheadRepeats, progress: progressFor('overhead') });
      endProgress();
      res.overhead.load = l();
    }
    if (rec) {
      log('== 3. storage: measuring');
      try {
        res.storage = await storage.finish(rec, { progress: progressFor('storage sealing') });
        endProgress();
        res.storage.load = rec.load();
      } catch (e) {
        endProgress();
        log(`storage: failed: ${e.stack || e}`);
        res.storage = { error: String(e.message || e).split('\n')[0] };
      }
    }
    if (only.includes('player')) {
      log('== 4. player');
      const l = loadSpan();
      res.player = await player.run({ bin, progress: progressFor('player') });
      endProgress();
      res.player.load = l();
      if (!res.player.measured) log(`player: not measured: ${res.player.reason}`);
    }
    if (only.includes('ingest')) {
      log('== 5. ingest');
      const l = loadSpan();
      try {
        res.ingest = await ingest.run({ bin, steps: CONFIG.ingestSteps, durationS: CONFIG.ingestDurationS, saturationS: CONFIG.saturationS, progress: progressFor('ingest') });
        endProgress();
        log('== 5b. ingest on PostgreSQL + S3');
        res.ingest.cluster = await ingest.runCluster({ bin, steps: CONFIG.clusterSteps, durationS: CONFIG.ingestDurationS, progress: progressFor('ingest cluster') });
      } catch (e) {
        res.ingest = { error: String(e.message || e).split('\n')[0] };
      }
      endProgress();
      res.ingest.load = l();
    }
    if (only.includes('search')) {
      log('== 6. search');
      const l = loadSpan();
      try {
        res.search = await searchArea.run({ sessions: CONFIG.searchSessions, pgSessions: CONFIG.searchPgSessions, rounds: CONFIG.searchRounds, benchtime: CONFIG.searchBenchtime, progress: progressFor('search') });
      } catch (e) {
        log(`search: failed: ${e.stack || e}`);
        res.search = { error: String(e.message || e).split('\n')[0] };
      }
      endProgress();
      res.search.load = l();
    }
  } finally {
    if (rec && rec.srv) await rec.srv.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
  res.seconds = (Date.now() - started) / 1000;
  res.summary = summarize(res);

  if (!noWrite) {
    // a partial run (--only) keeps the other areas of the previous results
    const path = join(BENCH, 'results.json');
    let merged = res;
    if (only.length < AREAS.length && existsSync(path)) {
      try {
        const prev = JSON.parse(readFileSync(path, 'utf8'));
        merged = { ...prev, ...res, onlyRun: only.join(','), only: AREAS.filter((a) => res[a] || prev[a]) };
        for (const a of AREAS) if (!res[a] && prev[a]) merged[a] = { ...prev[a], from: prev[a].from || prev.date };
        merged.summary = summarize(merged);
      } catch {
        // unreadable: start afresh
      }
    }
    writeFileSync(path, JSON.stringify(merged, null, 1) + '\n');
    writeFileSync(join(REPO, 'docs', 'BENCHMARKS.md'), render(merged));
    log(`wrote bench/results.json and docs/BENCHMARKS.md in ${(res.seconds / 60).toFixed(1)} min`);
  }
  printTargets(res);
}

/** Prints each target with met / missed and its figure, with the machine and its load, on stdout. */
function printTargets(res) {
  const m = res.machine;
  const loads = AREAS.filter((a) => res[a] && res[a].load).map((a) => {
    const l = typeof res[a].load === 'function' ? res[a].load() : res[a].load;
    return `${a} ${l.before.toFixed(1)} → ${l.after.toFixed(1)}`;
  });
  console.log(`Targets (${m.cpu}, ${m.cores} cores, ${m.memGB} GB; load average before → after: ${loads.join(', ') || '?'}; the machine is shared: other work runs on it)`);
  for (const s of res.summary) console.log(`  ${s.status.replace(/\*/g, '').padEnd(12)} ${s.area}: ${s.goal}\n  ${' '.repeat(12)} ${s.figure}`);
}

/** Re-renders docs/BENCHMARKS.md from bench/results.json, measuring nothing. */
function rerender() {
  const res = JSON.parse(readFileSync(join(BENCH, 'results.json'), 'utf8'));
  res.summary = summarize(res);
  writeFileSync(join(BENCH, 'results.json'), JSON.stringify(res, null, 1) + '\n');
  writeFileSync(join(REPO, 'docs', 'BENCHMARKS.md'), render(res));
  log('rewrote docs/BENCHMARKS.md from bench/results.json');
  printTargets(res);
}

(reportOnly ? Promise.resolve().then(rerender) : main()).catch((e) => {
  endProgress();
  console.error(e);
  process.exitCode = 1;
});
