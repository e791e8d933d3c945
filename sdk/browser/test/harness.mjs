// What the real-browser tests share: headless Chromium (the system one, never
// a downloaded build), an origin serving the fixture pages, and a second one
// serving the SDK and playing the Playhead ingest endpoint, whose answers a
// test can script (fail, drop the connection).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
export const root = dirname(here);
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const hasChromium = existsSync(CHROMIUM);
// Without Chromium the browser tests skip, except on CI, where they must run.
export const browserSkip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found` : false;

export const EventType = { FullSnapshot: 2, IncrementalSnapshot: 3, Meta: 4, Custom: 5, Plugin: 6 };

/** Starts an HTTP server on 127.0.0.1 and an ephemeral port. */
export async function serve(handler) {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { server, origin: `http://127.0.0.1:${port}` };
}

export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Starts the servers and the browser.
 *
 * `ingest` records what the ingest endpoint saw: `bodies` every request body
 * (decompressed), `attempts` every request `{t, sid, seq, answer}`, `batches`
 * every stored batch. `ingest.respond(batch)` may script the answer:
 * undefined stores it, `'destroy'` drops the connection, `{status, headers}`
 * refuses it.
 */
export async function startHarness() {
  const iife = readFileSync(join(root, 'dist/playhead.iife.js'));
  const reportIife = readFileSync(join(root, 'dist/playhead-report.js'));
  const ingest = { batches: [], bodies: [], attempts: [], preflights: 0, rejected: [], stored: new Set(), respond: undefined };
  /** Requests to `/headers` on either origin: `{host, path, headers}`; and Sentry envelopes, as text. */
  const seen = { headers: [], envelopes: [] };
  /** Extra pages the pages origin serves: path → HTML (a test may add its own). */
  const extraPages = new Map();
  const recordHeaders = (req, res, headers = {}) => {
    seen.headers.push({ host: req.headers.host, path: req.url, headers: req.headers });
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end('{"ok":true}');
  };
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' };

  const sdk = await serve(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname === '/sdk.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }).end(iife);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/sdk-report.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }).end(reportIife);
      return;
    }
    if (url.pathname === '/headers' && req.method !== 'OPTIONS') {
      recordHeaders(req, res, cors);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/1/envelope/') {
      // Sentry's ingest, as a DSN http://public@HOST/1 addresses it
      seen.envelopes.push((await readBody(req)).toString('utf8'));
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    if (req.method === 'OPTIONS') {
      ingest.preflights++;
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': 'POST' }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/ingest') {
      const raw = await readBody(req);
      const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
      const text = (gzip ? gunzipSync(raw) : raw).toString('utf8');
      ingest.bodies.push(text);
      let batch;
      try {
        batch = JSON.parse(text);
      } catch (error) {
        ingest.rejected.push(String(error));
        res.writeHead(400, { ...cors, 'Content-Type': 'application/json' }).end('{"error":{"code":"invalid"}}');
        return;
      }
      const answer = ingest.respond?.(batch);
      ingest.attempts.push({ t: Date.now(), sid: batch.sid, seq: batch.seq, answer: answer === 'destroy' ? 'destroy' : answer?.status ?? 200 });
      if (answer === 'destroy') {
        req.socket.destroy();
        return;
      }
      if (answer) {
        res.writeHead(answer.status, { ...cors, 'Content-Type': 'application/json', ...answer.headers }).end('{"error":{"code":"scripted"}}');
        return;
      }
      const key = `${batch.sid}/${batch.seq}`;
      const duplicate = ingest.stored.has(key);
      ingest.stored.add(key);
      ingest.batches.push({
        batch,
        text,
        gzip,
        key: url.searchParams.get('k'),
        contentType: req.headers['content-type'],
        cookie: req.headers.cookie,
      });
      res
        .writeHead(200, { ...cors, 'Content-Type': 'application/json' })
        .end(JSON.stringify({ ok: true, sid: batch.sid, seq: batch.seq, duplicate }));
      return;
    }
    res.writeHead(404, cors).end();
  });

  const fixture = (name) => readFileSync(join(here, 'fixture', name), 'utf8').replace('{{SDK_URL}}', `${sdk.origin}/sdk.js`);
  const pages = await serve(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (extraPages.has(url.pathname)) {
      const [type, body] = extraPages.get(url.pathname);
      res.writeHead(200, { 'Content-Type': type }).end(body);
    } else if (url.pathname === '/headers') {
      recordHeaders(req, res);
    } else if (url.pathname === '/api/fail') {
      res.writeHead(500, { 'Content-Type': 'text/plain', 'Content-Length': 7 }).end('failure');
    } else if (url.pathname === '/api/ok') {
      await readBody(req);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    } else if (url.pathname.startsWith('/api/echo')) {
      // answers with personal data and a secret, in the body and a header
      const body = (await readBody(req)).toString('utf8');
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'X-Echo': 'resp-header@example.com', 'Set-Cookie': 'sid=cookie-secret' })
        .end(JSON.stringify({ email: 'resp@example.com', token: 'resp-token-secret', from: '192.168.1.23', got: body.length }));
    } else if (url.pathname.startsWith('/manual')) {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(fixture('manual.html'));
    } else if (url.pathname.startsWith('/pii')) {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(fixture('pii.html'));
    } else if (url.pathname === '/favicon.ico' || url.pathname.endsWith('.png')) {
      res.writeHead(404).end();
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(fixture('index.html'));
    }
  });

  const dead = await serve(() => {});
  const deadOrigin = dead.origin;
  await new Promise((resolve) => dead.server.close(resolve));

  let browser;
  if (hasChromium) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }

  return {
    ingest,
    seen,
    pages,
    sdk,
    deadOrigin,
    /** Serves `body` at `path` on the pages origin; HTML gets {{SDK_URL}} filled in. */
    addPage(path, body, type = 'text/html') {
      extraPages.set(path, [type, type === 'text/html' ? body.replace('{{SDK_URL}}', `${sdk.origin}/sdk.js`) : body]);
    },
    async newContext(options) {
      if (!browser) assert.fail(`${CHROMIUM} is missing; on CI the browser tests must run`);
      return browser.newContext(options);
    },
    async close() {
      // PLAYHEAD_TEST_DUMP=file.json keeps what the ingest endpoint received, for debugging
      if (process.env.PLAYHEAD_TEST_DUMP) {
        writeFileSync(process.env.PLAYHEAD_TEST_DUMP, JSON.stringify(ingest.batches.map(({ text, ...rest }) => rest), null, 1));
      }
      await browser?.close();
      for (const s of [pages, sdk]) {
        s.server.closeAllConnections();
        await new Promise((resolve) => s.server.close(resolve));
      }
    },
  };
}

export async function waitFor(what, predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The stored batches of session `sid`, one per seq (re-sends must be identical), in seq order. */
export function sessionBatches(ingest, sid) {
  const bySeq = new Map();
  for (const entry of ingest.batches.filter((b) => b.batch.sid === sid)) {
    const known = bySeq.get(entry.batch.seq);
    if (known) assert.deepEqual(entry.batch.events, known.batch.events, `seq ${entry.batch.seq} was re-sent with other events`);
    else bySeq.set(entry.batch.seq, entry);
  }
  return [...bySeq.values()].sort((a, b) => a.batch.seq - b.batch.seq);
}

export const events = (batches) => batches.flatMap((b) => b.batch.events);
export const customs = (batches, tag) =>
  events(batches)
    .filter((e) => e.type === EventType.Custom && e.data.tag === tag)
    .map((e) => e.data.payload);
export const consoleEntries = (batches) =>
  events(batches)
    .filter((e) => e.type === EventType.Plugin && e.data.plugin === 'rrweb/console@1')
    .map((e) => e.data.payload);

export function assertContiguous(batches) {
  assert.deepEqual(
    batches.map((b) => b.batch.seq),
    batches.map((_, i) => i),
    'seq numbers are 0, 1, 2, … without gaps',
  );
}

export function assertKeyframesLeadBatches(batches) {
  for (const { batch } of batches) {
    const metaAt = batch.events.findIndex((e) => e.type === EventType.Meta);
    if (metaAt < 0) continue;
    assert.equal(metaAt, 0, `batch ${batch.seq} holds a keyframe, so it begins with the Meta event`);
    assert.equal(batch.events[1]?.type, EventType.FullSnapshot, `batch ${batch.seq}: FullSnapshot follows Meta`);
    assert.equal(batch.events.filter((e) => e.type === EventType.Meta).length, 1, `batch ${batch.seq}: one keyframe`);
  }
}
