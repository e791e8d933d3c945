// Area 4: the player. web/bench/player.mjs measures Playhead's player against
// the rrweb-player package and a bare rrweb Replayer on the real 60-minute
// recording; this runs it with --json and reads its figures. When it fails or
// prints no JSON the area is "not measured", with the reason.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, log } from './lib/util.mjs';

/**
 * The figures of the script's JSON (--json): Playhead, the rrweb-player
 * package and a bare Replayer, each { playhead, rrweb, replayer } where all
 * three were measured.
 */
export function fromJson(j) {
  const three = (get) => ({ playhead: get(j.playhead), rrweb: get(j.rrwebPlayer), replayer: get(j.replayer) });
  const ph = j.playhead;
  return {
    input: j.input,
    firstFrame: three((x) => x.firstFrame.median),
    firstFrames: three((x) => x.firstFrame.samples),
    coldSeekP50: { playhead: ph.coldSeek.p50, rrweb: j.rrwebPlayer.seek.p50, replayer: j.replayer.seek.p50 },
    coldSeekP95: { playhead: ph.coldSeek.p95, rrweb: j.rrwebPlayer.seek.p95, replayer: j.replayer.seek.p95 },
    seekP50: three((x) => (x.warmSeek ?? x.seek).p50),
    seekP95: three((x) => (x.warmSeek ?? x.seek).p95),
    seeks: three((x) => (x.warmSeek ?? x.seek).samples),
    stepP50: ph.stepSeek ? three((x) => x.stepSeek.p50) : undefined,
    stepP95: ph.stepSeek ? three((x) => x.stepSeek.p95) : undefined,
    cold: ph.coldSeek,
    nextViewer: ph.nextViewerSeek,
    heap: three((x) => x.heapMB),
    heapLong: { playhead: ph.heapTwoHourMB, rrweb: j.rrwebPlayer.heapTwoHourMB },
    firstFrameBytes: { playhead: ph.firstFrameBytes, rrweb: j.rrwebPlayer.bytes },
    openSteps: ph.openSteps,
    identical: { playhead: `${ph.identical.same}/${ph.identical.of}`, rrweb: `${j.rrwebPlayer.identical.same}/${j.rrwebPlayer.identical.of}` },
    indexSeconds: ph.indexSeconds,
  };
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
    json = JSON.parse(out.trim().split('\n').pop());
  } catch {
    return { measured: false, reason: 'web/bench/player.mjs --json printed no JSON', text: out.slice(-6000), seconds };
  }
  return { measured: true, source: 'json', figures: fromJson(json), raw: json, seconds };
}
