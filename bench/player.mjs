// Area 4: the player. web/bench/player.mjs (owned by the dashboard's authors)
// measures Playhead's player against rrweb-player-style playback on the real
// 60-minute recording; this runs it and reads its figures. It asks for JSON
// (--json); when the script prints its text table instead, the table is read,
// and when neither can be read the area is "not measured", with the reason.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, log } from './lib/util.mjs';

const METRICS = [
  { id: 'firstFrame', name: 'first frame after opening', unit: 'ms', json: /first.?frame/i },
  { id: 'seekP50', name: 'seek p50', unit: 'ms', json: /seek.*p50|p50.*seek/i },
  { id: 'seekP95', name: 'seek p95', unit: 'ms', json: /seek.*p95|p95.*seek/i },
  { id: 'heap', name: 'JS heap after 20 seeks', unit: 'MB', json: /heap/i },
];
export { METRICS };

function flatten(o, prefix = '', out = {}) {
  if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else if (typeof o === 'number') out[prefix] = o;
  return out;
}

/** Figures from the script's JSON, whatever its exact shape: paths naming the metric and the player. */
export function fromJson(obj) {
  const flat = flatten(obj);
  const res = {};
  for (const m of METRICS) {
    const paths = Object.keys(flat).filter((p) => m.json.test(p) && !/cold|max|bytes|nodes/i.test(p));
    const ours = paths.find((p) => /playhead/i.test(p));
    const theirs = paths.find((p) => /rrweb|baseline/i.test(p));
    if (ours && theirs) res[m.id] = { playhead: flat[ours], rrweb: flat[theirs] };
  }
  return res;
}

/** Figures from the text table web/bench/player.mjs prints (labels may grow: only their start is matched). */
export function fromText(text) {
  const n = (s) => Number(s.replace(/,/g, ''));
  const two = (re) => {
    const m = re.exec(text);
    return m ? { playhead: n(m[1]), rrweb: n(m[2]) } : undefined;
  };
  const VAL = String.raw`\s{2,}([\d,.]+) (?:ms|MB)\s+([\d,.]+) (?:ms|MB)`;
  const res = {
    firstFrame: two(new RegExp(String.raw`^first frame[^\n]*?` + VAL, 'm')),
    seekP50: two(new RegExp(String.raw`^seek p50[^\n]*?` + VAL, 'm')),
    seekP95: two(new RegExp(String.raw`^seek p95[^\n]*?` + VAL, 'm')),
    heap: two(new RegExp(String.raw`^JS heap after \d+ seeks` + VAL, 'm')),
    heapLong: two(new RegExp(String.raw`^JS heap after \d+ seeks, two-hour session` + VAL, 'm')),
  };
  for (const k of Object.keys(res)) if (!res[k]) delete res[k];
  // the samples behind the medians, when printed: spreads
  const list = (s) => s.trim().split(/\s+/).map(Number).filter(Number.isFinite);
  const ff = /^First frames \(ms\): Playhead ([\d\s]+); rrweb-player-style ([\d\s]+)$/m.exec(text);
  if (ff) res.firstFrames = { playhead: list(ff[1]), rrweb: list(ff[2]) };
  const ps = /^Playhead seeks, sorted \(ms\): ([\d\s]+)$/m.exec(text);
  const bs = /^rrweb-player-style seeks, sorted \(ms\): ([\d\s]+)$/m.exec(text);
  if (ps && bs) res.seeks = { playhead: list(ps[1]), rrweb: list(bs[1]) };
  const cold = /cold[^\n]*p50 ([\d,.]+) ms, p95 ([\d,.]+) ms/.exec(text);
  if (cold) res.cold = { p50: n(cold[1]), p95: n(cold[2]) };
  const next = /next viewer[^\n]*p50 ([\d,.]+) ms, p95 ([\d,.]+) ms/.exec(text);
  if (next) res.nextViewer = { p50: n(next[1]), p95: n(next[2]) };
  const same = /identical to a fresh replay of the moment: Playhead (\d+)\/(\d+)[^\n]*?rrweb-player-style (\d+)\/(\d+)/.exec(text);
  if (same) res.identical = { playhead: `${same[1]}/${same[2]}`, rrweb: `${same[3]}/${same[4]}` };
  const head = /^Player benchmark: ([^\n]*)/m.exec(text);
  if (head) res.input = head[1];
  return res;
}

export async function run({ bin, progress }) {
  const web = join(REPO, 'web');
  const script = join(web, 'bench', 'player.mjs');
  if (!existsSync(script)) return { measured: false, reason: 'web/bench/player.mjs does not exist (yet)' };
  if (!existsSync(join(web, 'node_modules'))) return { measured: false, reason: 'web/ has no node_modules: run `npm ci` in web/ first' };
  log('player: running `npm run bench:player -- --json` in web/ (about 2 minutes)…');
  const started = Date.now();
  const { code, out, err } = await new Promise((resolve, reject) => {
    const p = spawn('npm', ['run', '--silent', 'bench:player', '--', '--json', '--server-bin', bin], { cwd: web, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      const last = d.toString().trim().split('\n').pop();
      if (last) progress?.(Math.min(0.95, (Date.now() - started) / 150_000), last.slice(0, 60));
    });
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, out, err }));
  });
  const seconds = (Date.now() - started) / 1000;
  if (code !== 0) return { measured: false, reason: `web/bench/player.mjs exited with ${code}: ${(err || out).trim().split('\n').slice(-3).join(' / ')}`, seconds };
  let json;
  try {
    json = JSON.parse(out.trim());
  } catch {
    const last = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    try {
      json = last ? JSON.parse(last) : undefined;
    } catch {
      json = undefined;
    }
  }
  if (json) {
    const figures = fromJson(json);
    if (Object.keys(figures).length) return { measured: true, source: 'json', figures, raw: json, seconds };
  }
  const figures = fromText(out);
  if (figures.firstFrame && figures.seekP50)
    return {
      measured: true,
      source: 'text',
      note: 'web/bench/player.mjs does not print JSON with --json yet; these figures were read from its text table.',
      figures,
      text: out.trim(),
      seconds,
    };
  return { measured: false, reason: 'web/bench/player.mjs printed neither JSON nor the table this reads', text: out.slice(-6000), seconds };
}
