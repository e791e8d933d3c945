// Area 5: ingest. Runs `playhead loadgen -spawn` (simulated browsers sending
// batches cut from a real recording every 5 s, against a server of its own)
// at growing numbers of sessions until the acknowledgement p99 passes 100 ms,
// and once as fast as answered (-interval 0) next to the raw write+fsync
// handler (-baseline), and parses what it prints.
import { spawn } from 'node:child_process';
import * as backends from './lib/backends.mjs';
import { log } from './lib/util.mjs';

const P99_GOAL_MS = 100;
const INTERVAL_S = 5;
// Each visit records this long, then its tab starts a new session (with a
// full snapshot): the steps start in a steady state, as a live site is.
const SESSION_LENGTH = '5m';

/** Runs loadgen with args; resolves with its parsed report and raw output. */
function loadgen(bin, args, onProgress, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['loadgen', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    const feed = (d) => {
      const s = d.toString();
      const m = /(\d+)%\s+(\d+) acked/.exec(s.split('\r').filter(Boolean).pop() || '');
      if (m) onProgress?.(Number(m[1]) / 100, `${m[2]} acked`);
    };
    p.stdout.on('data', (d) => {
      out += d;
      feed(d);
    });
    p.stderr.on('data', (d) => {
      err += d;
      feed(d);
    });
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, report: parse(out + '\n' + err), out, err }));
  });
}

const num = (s) => Number(String(s).replace(/,/g, ''));

/** Reads the table loadgen prints at the end. */
export function parse(text) {
  const r = {};
  const line = (label) => {
    const m = new RegExp(`^${label.replace(/[()+]/g, (c) => '\\' + c)}\\s+(.*)$`, 'm').exec(text.replace(/\r/g, '\n'));
    return m ? m[1].trim() : undefined;
  };
  let v;
  if ((v = line('sessions recording at once'))) r.sessions = num(v);
  if ((v = line('elapsed')) && (v = /([\d.]+) s on (\d+) cores/.exec(v))) [r.elapsedS, r.cores] = [num(v[1]), num(v[2])];
  if ((v = line('batches')) && (v = /([\d,]+) sent, ([\d,]+) acknowledged, ([\d,]+) retries/.exec(v))) [r.sent, r.acked, r.retries] = [num(v[1]), num(v[2]), num(v[3])];
  if ((v = line('throughput')) && (v = /([\d.,]+) batches\/s/.exec(v))) r.throughput = num(v[1]);
  if ((v = line('acknowledgement latency')) && (v = /p50 ([\d.,]+) (ms|s), p99 ([\d.,]+) (ms|s)/.exec(v))) {
    r.p50 = num(v[1]) * (v[2] === 's' ? 1000 : 1);
    r.p99 = num(v[3]) * (v[4] === 's' ? 1000 : 1);
  }
  if ((v = line('server CPU')) && (v = /([\d.]+) cores \(([\d.]+) per 1,000 sessions(?:; ([\d.]+) ms per batch)?\)/.exec(v))) {
    [r.serverCores, r.coresPer1000] = [num(v[1]), num(v[2])];
    if (v[3]) r.cpuMsPerBatch = num(v[3]);
  }
  if ((v = line('server peak memory')) && (v = /([\d.]+) MiB/.exec(v))) r.peakMiB = num(v[1]);
  if ((v = line('raw limit (write+fsync per batch)')) && (v = /([\d.,]+) batches\/s; Playhead reaches ([\d.]+)x/.exec(v))) [r.rawLimit, r.rawRatio] = [num(v[1]), num(v[2])];
  if ((v = line('audit'))) r.audit = v;
  return r;
}

const passes = (r) => Number.isFinite(r.p99) && r.p99 <= P99_GOAL_MS && /^OK/.test(r.audit || '') && r.acked >= 0.99 * r.sent;

export async function run({ bin, steps, durationS, saturationS, progress }) {
  const result = { steps: [], goalP99Ms: P99_GOAL_MS, intervalS: INTERVAL_S, sessionLength: SESSION_LENGTH, durationS };
  // 1. as fast as answered, next to the raw handler
  log(`ingest: saturation run (-interval 0, 500 senders, ${saturationS}s) with the raw write+fsync baseline…`);
  const sat = await loadgen(bin, ['-spawn', '-sessions', '500', '-interval', '0', '-duration', `${saturationS}s`, '-baseline'], (f, s) => progress?.(f, `saturation: ${s}`));
  result.saturation = { ...sat.report, exitCode: sat.code };
  if (sat.code !== 0) result.saturation.output = (sat.out + sat.err).slice(-2000);
  log(`ingest: saturated ${sat.report.throughput} batches/s, raw ${sat.report.rawLimit} batches/s (${sat.report.rawRatio}x)`);
  // 2. the ramp at one batch per session every 5 s: up the steps until one fails;
  // when the first fails already, down by halves (to 125) until one passes
  const step = async (n) => {
    log(`ingest: ${n} sessions, one batch each every ${INTERVAL_S}s, for ${durationS}s…`);
    const r = await loadgen(bin, ['-spawn', '-sessions', String(n), '-interval', `${INTERVAL_S}s`, '-session-length', SESSION_LENGTH, '-duration', `${durationS}s`], (f, s) =>
      progress?.(f, `${n} sessions: ${s}`),
    );
    const st = { ...r.report, exitCode: r.code, pass: r.code === 0 && passes(r.report) };
    if (r.code !== 0) st.output = (r.out + r.err).slice(-2000);
    result.steps.push(st);
    log(`ingest: ${n} sessions: p99 ${st.p99} ms, ${st.throughput} batches/s, ${st.coresPer1000} cores per 1,000 sessions → ${st.pass ? 'pass' : 'FAIL'}`);
    return st.pass;
  };
  for (const n of steps) if (!(await step(n))) break;
  if (!result.steps[0].pass) for (let n = Math.floor(steps[0] / 2); n >= 125; n = Math.floor(n / 2)) if (await step(n)) break;
  const best = result.steps.filter((s) => s.pass).sort((a, b) => a.sessions - b.sessions).pop();
  const cores = (best || result.steps[0] || {}).cores || 2;
  result.best = best || null;
  if (best) {
    result.maxSessions = best.sessions;
    result.sessionsPerCore = best.sessions / cores; // server and load generator share the cores
    result.sessionsPerServerCore = 1000 / best.coresPer1000;
  }
  if (result.saturation.rawLimit) {
    // the raw handler's limit in sessions sending every 5 s
    result.rawSessions = result.saturation.rawLimit * INTERVAL_S;
    result.rawSessionsPerCore = result.rawSessions / cores;
    if (best) result.vsRawSessions = best.sessions / result.rawSessions;
  }
  result.ceilingNotFound = !!best && !result.steps.some((s) => !s.pass && s.sessions > best.sessions);
  result.steps.sort((a, b) => a.sessions - b.sessions);
  return result;
}

/**
 * The cluster backends beside the embedded default: the same steps (one
 * node, then three) on a throwaway PostgreSQL and versitygw, each from an
 * empty index and bucket. Reports ack latency, CPU per batch per node and
 * the bytes the index and the bucket hold per recorded minute at the end of
 * the step (batches still pending sit in the index; sealing moves them to
 * the bucket later).
 */
export async function runCluster({ bin, steps, durationS, progress }) {
  const be = await backends.start();
  if (be.missing) return { error: `not measured: ${be.missing} not installed (scripts/setup-test.sh installs both)` };
  const result = { steps: [], goalP99Ms: P99_GOAL_MS, intervalS: INTERVAL_S, durationS };
  try {
    for (const [n, nodes] of steps) {
      await be.reset();
      const before = be.sizes();
      log(`ingest: PostgreSQL + S3, ${nodes} node${nodes > 1 ? 's' : ''}, ${n} sessions for ${durationS}s…`);
      const r = await loadgen(
        bin,
        ['-spawn', '-nodes', String(nodes), '-index', be.index, '-objects', be.objects, '-sessions', String(n), '-interval', `${INTERVAL_S}s`, '-session-length', SESSION_LENGTH, '-duration', `${durationS}s`],
        (f, st) => progress?.(f, `PostgreSQL + S3, ${nodes} × ${n}: ${st}`),
        be.env,
      );
      const after = be.sizes();
      const minutes = (n * durationS) / 60;
      const st = {
        ...r.report,
        nodes,
        exitCode: r.code,
        pass: r.code === 0 && passes(r.report),
        indexBytesPerMinute: Math.round((after.indexBytes - before.indexBytes) / minutes),
        objectBytesPerMinute: Math.round((after.objectBytes - before.objectBytes) / minutes),
      };
      if (r.code !== 0) st.output = (r.out + r.err).slice(-2000);
      result.steps.push(st);
      log(`ingest: PostgreSQL + S3, ${nodes} × ${n} sessions: p99 ${st.p99} ms, ${st.throughput} batches/s, ${st.cpuMsPerBatch} ms CPU per batch → ${st.pass ? 'pass' : 'FAIL'}`);
    }
  } finally {
    await be.stop();
  }
  return result;
}
