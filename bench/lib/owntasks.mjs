// Which main-thread time of a recorded page is Playhead's own code, task by
// task. A Chromium trace of the page (its tasks, and V8's CPU samples on
// the same clock) is read against the source map of the SDK's script-tag
// build: each sample goes to the nearest frame of the SDK's script on its
// stack, and that frame's source says whose code it is: rrweb's (a file
// under node_modules) or Playhead's (sdk/browser/src). Time spent in the
// browser (layout, a native JSON.stringify) on behalf of a frame counts as
// that frame's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceMapConsumer } from 'source-map-js';
import { REPO } from './util.mjs';

/** A task this long is a long task (the Long Tasks API's threshold). */
export const LONG_TASK_MS = 50;

/**
 * The source map of sdk/browser/dist/playhead.iife.js: the SDK's build
 * run again with a map (`build.mjs --map`), which must give the same
 * script byte for byte.
 */
export function sdkSourceMap() {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-sdkmap-'));
  try {
    execFileSync('node', ['build.mjs', '--map', dir], { cwd: join(REPO, 'sdk/browser'), stdio: ['ignore', 'ignore', 'inherit'] });
    const built = readFileSync(join(dir, 'playhead.iife.js'));
    const shipped = readFileSync(join(REPO, 'sdk/browser/dist/playhead.iife.js'));
    if (!built.equals(shipped)) throw new Error('sdk/browser/dist/playhead.iife.js is not what build.mjs builds: run `npm run build` in sdk/browser');
    const consumer = new SourceMapConsumer(JSON.parse(readFileSync(join(dir, 'playhead.iife.js.map'), 'utf8')));
    const cache = new Map();
    const original = (line, column) => {
      const o = consumer.originalPositionFor({ line: line + 1, column, bias: SourceMapConsumer.LEAST_UPPER_BOUND });
      return o.source ? o : consumer.originalPositionFor({ line: line + 1, column });
    };
    /** "playhead", "rrweb" or "?" for a position (0-based line and column) of the script. */
    const owner = (line, column) => {
      const key = line * 1e7 + column;
      let o = cache.get(key);
      if (o === undefined) {
        const src = original(line, column).source;
        o = !src ? '?' : src.includes('node_modules/') ? 'rrweb' : 'playhead';
        cache.set(key, o);
      }
      return o;
    };
    /** Where a position of the script comes from: "src/lib/file.ts:line". */
    owner.where = (line, column) => {
      const o = original(line, column);
      return o.source ? `${o.source.replace(/^.*?\/src\//, 'src/')}:${o.line}` : '?';
    };
    return owner;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-v8.cpu_profiler', 'toplevel'];

/** Starts a trace on a CDP session; the returned function ends it and resolves with its events. */
export async function startTrace(cdp) {
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordAsMuchAsPossible' }, transferMode: 'ReportEvents' });
  return async () => {
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await done;
    return events;
  };
}

/**
 * The page's main-thread tasks of a trace, each with the time Playhead's
 * code and rrweb's took in it (ms). `sdkUrl` names the SDK's script, `owner`
 * is what sdkSourceMap returns.
 */
export function tasksByOwner(events, sdkUrl, owner) {
  // the renderer main thread that ran the SDK: the one whose samples reach its script
  const profiles = new Map(); // `${pid}:${id}` -> { pid, tid, start, nodes, samples: [[ts, nodeId]] }
  for (const e of events) {
    if (e.name === 'Profile' && e.args?.data?.startTime !== undefined) {
      profiles.set(`${e.pid}:${e.id}`, { pid: e.pid, tid: e.tid, t: e.args.data.startTime, nodes: new Map(), samples: [] });
    }
  }
  for (const e of events) {
    if (e.name !== 'ProfileChunk') continue;
    const p = profiles.get(`${e.pid}:${e.id}`);
    const d = e.args?.data;
    if (!p || !d) continue;
    for (const n of d.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n);
    const samples = d.cpuProfile?.samples ?? [];
    const deltas = d.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      p.t += deltas[i] ?? 0;
      p.samples.push([p.t, samples[i]]);
    }
  }
  // whose code each profile node is: its nearest frame in the SDK's script
  const frameOf = (p, id, memo) => {
    if (memo.has(id)) return memo.get(id);
    const n = p.nodes.get(id);
    let f = null;
    if (n) {
      const cf = n.callFrame;
      if (cf.url === sdkUrl) f = cf;
      else if (n.parent !== undefined) f = frameOf(p, n.parent, memo);
    }
    memo.set(id, f);
    return f;
  };
  const whose = (p, id, memo) => {
    const f = frameOf(p, id, memo);
    return f ? owner(f.lineNumber, f.columnNumber) : 'other';
  };
  let best = null;
  for (const p of profiles.values()) {
    const memo = new Map();
    let sdk = 0;
    for (const [, id] of p.samples) if (whose(p, id, memo) !== 'other') sdk++;
    if (!best || sdk > best.sdk) best = { p, memo, sdk };
  }
  if (!best || !best.sdk) return null;
  const { p, memo } = best;
  const named = (name) => events.filter((e) => e.pid === p.pid && e.tid === p.tid && e.ph === 'X' && e.name === name && e.dur > 0).sort((a, b) => a.ts - b.ts);
  let tasks = named('RunTask');
  if (!tasks.length) tasks = named('ThreadControllerImpl::RunTask');
  // a task nested in another (a nested run loop): the outer one counts
  const outer = [];
  for (const t of tasks) if (!outer.length || t.ts >= outer.at(-1).ts + outer.at(-1).dur) outer.push(t);
  const out = outer.map((t) => ({ start: t.ts, ms: t.dur / 1000, playhead: 0, rrweb: 0, where: new Map() }));
  // each sample lasts until the next one
  let k = 0;
  for (let i = 0; i + 1 < p.samples.length; i++) {
    const [ts, id] = p.samples[i];
    const w = whose(p, id, memo);
    if (w !== 'playhead' && w !== 'rrweb') continue;
    while (k < outer.length && outer[k].ts + outer[k].dur < ts) k++;
    if (k < outer.length && outer[k].ts <= ts) {
      const ms = (p.samples[i + 1][0] - ts) / 1000;
      out[k][w] += ms;
      if (w === 'playhead' && owner.where) {
        const f = frameOf(p, id, memo);
        const at = owner.where(f.lineNumber, f.columnNumber);
        out[k].where.set(at, (out[k].where.get(at) ?? 0) + ms);
      }
    }
  }
  return out;
}

/**
 * What the tasks say against the goal: the longest task, the most of
 * Playhead's own code in one task, and the tasks over LONG_TASK_MS that
 * Playhead's code made long (without it they would not be).
 */
export function ownTaskSummary(tasks) {
  const long = tasks.filter((t) => t.ms > LONG_TASK_MS);
  const longest = tasks.reduce((a, t) => (!a || t.ms > a.ms ? t : a), null);
  const most = tasks.reduce((a, t) => (!a || t.playhead > a.playhead ? t : a), null);
  const caused = long.filter((t) => t.playhead > LONG_TASK_MS || t.ms - t.playhead <= LONG_TASK_MS);
  const r = (x) => Math.round(x * 10) / 10;
  return {
    tasks: tasks.length,
    longTasks: long.length,
    longest: longest && { ms: r(longest.ms), playhead: r(longest.playhead), rrweb: r(longest.rrweb) },
    mostPlayhead: most && {
      ms: r(most.ms),
      playhead: r(most.playhead),
      rrweb: r(most.rrweb),
      // where Playhead's time in it went, by source line, the largest first
      where: [...(most.where ?? new Map())].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([at, ms]) => ({ at, ms: r(ms) })),
    },
    caused: caused.map((t) => ({ ms: r(t.ms), playhead: r(t.playhead), rrweb: r(t.rrweb) })),
  };
}
