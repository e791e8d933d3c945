// Area 1: SDK size. What a page downloads to record DOM, console and network,
// minified, then gzip -9 and brotli 11, measured in Node. Every peer is
// bundled the same way (esbuild: bundle, minify, browser, es2020, IIFE,
// tree-shaken) from an entry that turns its recording on; Playhead is its
// shipped script-tag build, sdk/browser/dist/playhead.iife.js.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants as zc } from 'node:zlib';
import * as esbuild from 'esbuild';
import { BENCH, REPO, log } from './lib/util.mjs';

const ENDPOINT = 'http://127.0.0.1:9/collect';

/**
 * Each peer: one entry, or a `with` and a `without` entry whose difference is
 * the recorder (the figure compared), and what it records.
 */
export const PEERS = [
  {
    id: 'rrweb',
    name: '`@rrweb/record` + console plugin',
    records: 'DOM, console',
    all3: false,
    entry: `
      import { record } from '@rrweb/record';
      import { getRecordConsolePlugin } from '@rrweb/rrweb-plugin-console-record';
      const events = [];
      record({ emit: (e) => { events.push(e); }, plugins: [getRecordConsolePlugin()] });`,
  },
  {
    id: 'clarity',
    name: 'Microsoft Clarity (`clarity-js`)',
    records: 'DOM, interactions, errors; no console, no network',
    all3: false,
    note:
      "`@microsoft/clarity` on npm is only a loader (it injects a `<script>` from www.clarity.ms); the tracker it loads is published as `clarity-js` by the same repository, bundled here from source with `clarity.start()`.",
    entry: `
      import { clarity } from 'clarity-js';
      clarity.start({ projectId: 'bench', upload: '${ENDPOINT}', track: true, content: true });`,
  },
  {
    id: 'sentry',
    name: 'Sentry replay (`@sentry/browser` increment)',
    records: 'DOM, console and network breadcrumbs',
    all3: true,
    note: '`@sentry/browser` with `replayIntegration()` minus the same without it; the core it needs is in the next column.',
    with: `
      import * as Sentry from '@sentry/browser';
      Sentry.init({ dsn: 'http://public@127.0.0.1:9/1', integrations: [Sentry.replayIntegration()], replaysSessionSampleRate: 1 });`,
    without: `
      import * as Sentry from '@sentry/browser';
      Sentry.init({ dsn: 'http://public@127.0.0.1:9/1' });`,
  },
  {
    id: 'openreplay',
    name: 'OpenReplay (`@openreplay/tracker`)',
    records: 'DOM, console, network',
    all3: true,
    entry: `
      import Tracker from '@openreplay/tracker';
      const tracker = new Tracker({ projectKey: 'bench', ingestPoint: '${ENDPOINT}', __DISABLE_SECURE_MODE: true });
      tracker.start();`,
  },
  {
    id: 'posthog',
    name: 'PostHog recorder (`posthog-js` increment)',
    records: 'DOM, console, network',
    all3: true,
    note: "`posthog-js` lazy-loads its recorder from its CDN by default; bundling it means importing `posthog-js/dist/posthog-recorder`. Figure = that increment; the core `posthog-js` it needs is in the next column.",
    with: `
      import posthog from 'posthog-js';
      import 'posthog-js/dist/posthog-recorder';
      posthog.init('phc_bench', { api_host: 'http://127.0.0.1:9', disable_external_dependency_loading: true, session_recording: { recordCrossOriginIframes: false } , enable_recording_console_log: true });`,
    without: `
      import posthog from 'posthog-js';
      posthog.init('phc_bench', { api_host: 'http://127.0.0.1:9', disable_external_dependency_loading: true });`,
  },
  {
    id: 'highlight',
    name: 'Highlight (`highlight.run`)',
    records: 'DOM, console, network',
    all3: true,
    entry: `
      import { H } from 'highlight.run';
      H.init('bench', { networkRecording: { enabled: true, recordHeadersAndBody: false }, consoleMethodsToRecord: ['log', 'warn', 'error'] });`,
  },
];

function compress(buf) {
  return {
    min: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length,
  };
}

async function bundle(src) {
  const out = await esbuild.build({
    stdin: { contents: src, resolveDir: BENCH, loader: 'js' },
    bundle: true,
    write: false,
    minify: true,
    treeShaking: true,
    platform: 'browser',
    target: ['es2020'],
    format: 'iife',
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return Buffer.from(out.outputFiles[0].contents);
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(join(BENCH, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

const VERSIONS = {
  rrweb: () => `@rrweb/record ${version('@rrweb/record')}, plugin ${version('@rrweb/rrweb-plugin-console-record')}`,
  clarity: () => `clarity-js ${version('clarity-js')}`,
  sentry: () => `@sentry/browser ${version('@sentry/browser')}`,
  openreplay: () => `@openreplay/tracker ${version('@openreplay/tracker')}`,
  posthog: () => `posthog-js ${version('posthog-js')}`,
  highlight: () => `highlight.run ${version('highlight.run')}`,
};

export async function run() {
  const iife = readFileSync(join(REPO, 'sdk/browser/dist/playhead.iife.js'));
  const sdkPkg = JSON.parse(readFileSync(join(REPO, 'sdk/browser/package.json'), 'utf8'));
  const playhead = {
    id: 'playhead',
    name: 'Playhead (`sdk/browser/dist/playhead.iife.js`)',
    records: 'DOM, console, network, errors, navigation; masking and transport included',
    all3: true,
    version: `@playhead/browser ${sdkPkg.version}, @rrweb/record ${sdkPkg.devDependencies['@rrweb/record']}`,
    ...compress(iife),
  };
  log(`size: Playhead ${(playhead.gzip / 1024).toFixed(1)} KB gzip`);
  const rows = [playhead];
  for (const p of PEERS) {
    const row = { id: p.id, name: p.name, records: p.records, all3: p.all3, note: p.note, version: VERSIONS[p.id]() };
    try {
      if (p.entry) {
        Object.assign(row, compress(await bundle(p.entry)));
      } else {
        const a = compress(await bundle(p.with));
        const b = compress(await bundle(p.without));
        Object.assign(row, { min: a.min - b.min, gzip: a.gzip - b.gzip, brotli: a.brotli - b.brotli, core: b, total: a });
      }
      log(`size: ${p.id} ${(row.gzip / 1024).toFixed(1)} KB gzip${row.core ? ` (+ core ${(row.core.gzip / 1024).toFixed(1)} KB)` : ''}`);
    } catch (e) {
      row.error = String(e.message || e).split('\n')[0];
      log(`size: ${p.id} failed: ${row.error}`);
    }
    rows.push(row);
  }
  // Clarity's CDN script, as published in the package (a cross-check of the bundle)
  try {
    const cdn = compress(readFileSync(join(BENCH, 'node_modules/clarity-js/build/clarity.min.js')));
    rows.find((r) => r.id === 'clarity').cdn = cdn;
  } catch {
    // not there: nothing to cross-check
  }
  return { rows, goalGzip: 28 * 1024 };
}
