// Area 6: search. Two measurements, both Go:
//
//  1. bench/searchbench: an index of 100,000 sessions built from real
//     recordings through the real ingest path into SQLite (cached between
//     runs under the system's temp directory, keyed by the inputs and the
//     schema), then every key of the query language and combined queries,
//     p50/p95, against a naive scan of the same index in the same run.
//  2. The ingest benchmark with search indexing on and off
//     (BenchmarkIngest/ingest-parallel/commit-delay=default/search=on|off),
//     alternating rounds in one run: the ratio is what indexing costs ingest.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO, log, quantile, pairedRatio } from './lib/util.mjs';
import * as backends from './lib/backends.mjs';

/** Runs cmd with args in the repository, streaming its stderr lines to onLine; resolves with stdout. */
function run(cmd, args, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      for (const l of String(d).split('\n')) if (l.trim()) onLine(l.trim());
    });
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${(err || out).trim().split('\n').slice(-5).join(' / ')}`))));
  });
}

/** Parses `go test -bench` lines of the ingest benchmark into {on: [...], off: [...]} rounds. */
export function parseIngest(text) {
  const rounds = { on: [], off: [] };
  for (const line of text.split('\n')) {
    const m = /search=(on|off)-\d+\s/.exec(line);
    if (!m) continue;
    const nums = (line.match(/[\d.]+ (MB\/s|batches\/s|cpu-µs\/batch)/g) || []).map((s) => s.split(' '));
    const get = (unit) => Number((nums.find((n) => n[1] === unit) || [])[0]);
    rounds[m[1]].push({ batchesPerS: get('batches/s'), cpuUsPerBatch: get('cpu-µs/batch') });
  }
  return rounds;
}

export async function run_({ rounds = 5, benchtime = '3s', sessions = 100000, pgSessions = 0, progress = () => {} } = {}) {
  const tmp = mkdtempSync(join(os.tmpdir(), 'playhead-search-'));
  try {
    const out = {};
    // 1. queries
    const json = join(tmp, 'search.json');
    log(`search: building or reusing the index of ${sessions.toLocaleString('en-US')} sessions, then timing queries…`);
    const text = await run('go', ['run', './bench/searchbench', `-sessions=${sessions}`, `-json=${json}`], (l) => {
      const m = /built (\d+) of (\d+)/.exec(l);
      if (m) progress(Number(m[1]) / Number(m[2]) / 2, `building the index: ${m[1]} of ${m[2]} sessions`);
      else if (l.startsWith('search: ') && !l.startsWith('search: building')) progress(0.5, l.slice(8, 40));
    });
    process.stdout.write(text);
    out.queries = JSON.parse(readFileSync(json, 'utf8'));

    // 1b. the same on a throwaway PostgreSQL (built every run: no cache)
    if (pgSessions > 0) {
      const be = await backends.start();
      if (be.missing) out.postgres = { error: `not measured: ${be.missing} not installed` };
      else {
        try {
          const pj = join(tmp, 'search-pg.json');
          log(`search: building an index of ${pgSessions.toLocaleString('en-US')} sessions in PostgreSQL, then timing queries…`);
          process.stdout.write(await run('go', ['run', './bench/searchbench', `-sessions=${pgSessions}`, `-postgres=${be.index}`, '-runs=10', `-json=${pj}`], (l) => {
            const m = /built (\d+) of (\d+)/.exec(l);
            if (m) progress(0.5, `PostgreSQL: ${m[1]} of ${m[2]} sessions`);
          }));
          out.postgres = JSON.parse(readFileSync(pj, 'utf8'));
        } catch (e) {
          out.postgres = { error: String(e.message || e).split('\n')[0] };
        } finally {
          await be.stop();
        }
      }
    }

    // 2. the ingest ratio, alternating rounds
    const bin = join(tmp, 'ingest.test');
    execFileSync('go', ['test', '-c', '-o', bin, './ingest/'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
    let textIngest = '';
    for (let r = 0; r < rounds; r++) {
      for (const mode of r % 2 ? ['off', 'on'] : ['on', 'off']) {
        progress(0.5 + (r + 0.5) / rounds / 2, `ingest round ${r + 1} of ${rounds}, search ${mode}`);
        textIngest += await run(bin, ['-test.run', '^$', '-test.bench', `Ingest$/ingest-parallel/commit-delay=default/search=${mode}$`, '-test.benchtime', benchtime]);
      }
    }
    const rr = parseIngest(textIngest);
    const med = (xs, k) => quantile(xs.map((x) => x[k]), 0.5);
    out.ingest = {
      rounds: rr,
      benchtime,
      on: { batchesPerS: med(rr.on, 'batchesPerS'), cpuUsPerBatch: med(rr.on, 'cpuUsPerBatch') },
      off: { batchesPerS: med(rr.off, 'batchesPerS'), cpuUsPerBatch: med(rr.off, 'cpuUsPerBatch') },
    };
    // Rounds are paired (on and off back to back): the ratios are medians
    // of the per-round ratios. Throughput bound by CPU is the inverse of
    // the CPU spent per batch, the steadier figure on a shared machine.
    out.ingest.throughputRatio = pairedRatio(rr.on.map((x) => x.batchesPerS), rr.off.map((x) => x.batchesPerS));
    out.ingest.cpuRatio = pairedRatio(rr.off.map((x) => x.cpuUsPerBatch), rr.on.map((x) => x.cpuUsPerBatch));
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export { run_ as run };
