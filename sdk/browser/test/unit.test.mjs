// Unit tests of the SDK's pure modules under Node (no browser): PII masking
// against the shared vectors, secret redaction, console serialisation, the
// send queue, baggage merging, the error-sampling ring and the session record. The modules are bundled with esbuild into a temporary file.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const VECTORS = join(root, '../../testdata/pii-vectors.json');

let m;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'playhead-unit-'));
  const outfile = join(dir, 'unit.mjs');
  await esbuild.build({
    stdin: {
      contents: [
        "export * from './src/lib/privacy/pii';",
        "export * from './src/lib/privacy/secrets';",
        "export { maskBody, maskHeaders, MAX_BODY } from './src/lib/network';",
        "export { stringify, traceOf, maskValue } from './src/lib/console';",
        "export { withSession, MAX_BAGGAGE } from './src/lib/network';",
        "export { createRing } from './src/lib/ring';",
        "export { openSession } from './src/lib/session';",
        "export { createQueue, MAX_TRIES, MAX_STORED } from './src/lib/queue';",
        "export { makeBatch } from './src/lib/batch';",
        "export { utf8Length } from './src/lib/size';",
        "export { createTransport } from './src/lib/transport';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    logLevel: 'warning',
  });
  m = await import(pathToFileURL(outfile).href);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('PII vectors: every positive is masked exactly, every negative kept', () => {
  const vectors = JSON.parse(readFileSync(VECTORS, 'utf8'));
  const kinds = {};
  for (const { kind, text, match } of vectors.mask) {
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    assert.ok(text.includes(match), `vector ${JSON.stringify(text)} contains its match`);
    const found = [];
    const masked = m.maskPII(text, (k, start, end) => found.push([k, text.slice(start, end)]));
    assert.equal(masked, text.replace(match, '*'.repeat(match.length)), `masking ${JSON.stringify(text)}`);
    assert.deepEqual(found, [[kind, match]], `kind of ${JSON.stringify(text)}`);
  }
  for (const kind of ['email', 'card', 'phone', 'iban', 'ssn', 'ip']) {
    assert.ok(kinds[kind] >= 6, `at least 6 ${kind} vectors (${kinds[kind]})`);
  }
  assert.ok(vectors.keep.length >= 15);
  for (const text of vectors.keep) assert.equal(m.maskPII(text), text, `keeps ${JSON.stringify(text)}`);
});

test('PII masking keeps the length and handles several kinds in one text', () => {
  const text = 'ada@example.com paid 4111 1111 1111 1111 from 10.0.0.1, call +1 415 555 2671';
  const masked = m.maskPII(text);
  assert.equal(masked.length, text.length);
  assert.equal(masked, '*************** paid ******************* from ********, call ***************');
  assert.equal(m.luhn('4111111111111111'), true);
  assert.equal(m.luhn('4111111111111112'), false);
  assert.equal(m.ibanValid('GB82WEST12345698765432'), true);
  assert.equal(m.ibanValid('GB82WEST12345698765433'), false);
});

test('URLs: token-like parameters redacted, PII in the query masked, the rest kept', () => {
  const cases = [
    ['https://shop.test/cb?code=abc&state=xyz#access_token=t0k&token_type=bearer', 'https://shop.test/cb?code=[redacted]&state=xyz#access_token=[redacted]&token_type=[redacted]'],
    ['https://shop.test/p?email=ada%40example.com&q=shoes', 'https://shop.test/p?email=***************&q=shoes'],
    ['https://shop.test/p?email=ada@example.com&page=2', 'https://shop.test/p?email=***************&page=2'],
    ['/a?id_token=x&refresh_token=y&key=k&api_key=a&apikey=b&secret=s&password=p&auth=u&sig=g&signature=h&session=1&sessionid=2&jwt=j&n=5',
      '/a?id_token=[redacted]&refresh_token=[redacted]&key=[redacted]&api_key=[redacted]&apikey=[redacted]&secret=[redacted]&password=[redacted]&auth=[redacted]&sig=[redacted]&signature=[redacted]&session=[redacted]&sessionid=[redacted]&jwt=[redacted]&n=5'],
    ['https://cdn.test/a.png?v=0123456789abcdef0123456789abcdef', 'https://cdn.test/a.png?v=[redacted]'],
    ['https://cdn.test/a.png?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'https://cdn.test/a.png?t=[redacted]'],
    ['https://cdn.test/a.png?id=550e8400-e29b-41d4-a716-446655440000', 'https://cdn.test/a.png?id=550e8400-e29b-41d4-a716-446655440000'],
    ['https://cdn.test/users/ada/logo@2x.png', 'https://cdn.test/users/ada/logo@2x.png'],
    ['mailto:ada@example.com', 'mailto:***************'],
    ['tel:+14155552671', 'tel:+***********'],
    ['https://192.168.1.10/x?from=192.168.1.11', 'https://192.168.1.10/x?from=************'],
  ];
  for (const [url, expected] of cases) assert.equal(m.redactUrl(url), expected, url);
});

test('free text: credentials, JWTs, secret fields and parameters redacted, PII masked', () => {
  assert.equal(m.maskFreeText('Authorization: Bearer abcdefghijklmnop'), 'Authorization: [redacted] [redacted]');
  assert.equal(m.maskFreeText('jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'), 'jwt [redacted]');
  assert.equal(m.maskFreeText('GET https://api.test/x?token=s3cr3t&page=1 failed'), 'GET https://api.test/x?token=[redacted]&page=1 failed');
  assert.equal(m.maskFreeText('{"user":"ada","password":"hunter2","cvv":123}'), '{"user":"ada","password":"[redacted]","cvv":[redacted]}');
  assert.equal(m.maskFreeText("cardNumber: 4111 1111 1111 1111 ok"), 'cardNumber: [redacted] ok');
  assert.equal(m.maskFreeText('mail ada@example.com'), 'mail ***************');
});

test('bodies and headers of captured requests are masked', () => {
  const json = JSON.parse(
    m.maskBody(JSON.stringify({ email: 'ada@example.com', password: 'x', nested: { api_key: 'k', ok: 'call +44 20 7946 0958' }, card: { number: '4111' } })),
  );
  assert.deepEqual(json, { email: '***************', password: '[redacted]', nested: { api_key: '[redacted]', ok: 'call ****************' }, card: '[redacted]' });
  assert.equal(m.maskBody('user=ada&passwd=x&Card_Number=4111111111111111&mail=ada%40example.com'), 'user=ada&passwd=[redacted]&Card_Number=[redacted]&mail=***************');
  assert.equal(m.maskBody('x'.repeat(100000)).length, m.MAX_BODY + 1, 'cut to 16 KB (plus an ellipsis)');
  assert.deepEqual(
    m.maskHeaders([['Authorization', 'Bearer x'], ['Cookie', 'a=b'], ['Set-Cookie', 'c=d'], ['X-API-Key', 'k'], ['Content-Type', 'application/json'], ['X-User', 'ada@example.com']]),
    { 'x-api-key': '[redacted]', 'content-type': 'application/json', 'x-user': '***************' },
  );
});

test('console arguments are serialised like rrweb does, masked', () => {
  assert.equal(m.stringify('hello'), '"hello"');
  assert.equal(m.stringify('mail ada@example.com'), '"mail ***************"');
  assert.equal(m.stringify({ password: 'x', card: 4111111111111111, n: 4111111111111111, ok: 1 }), '{"password":"[redacted]","card":"[redacted]","n":"****************","ok":1}');
  const circular = { a: 1 };
  circular.self = circular;
  assert.equal(m.stringify(circular), '{"a":1,"self":"[Circular]"}');
  assert.equal(m.stringify(undefined), '"undefined"');
  const trace = m.traceOf({ stack: 'Error\n    at a (https://x.test/a.js?token=abc:1:2)\n    at https://x.test/b.js:3:4' }, 0);
  assert.deepEqual(trace, ['a (https://x.test/a.js?token=[redacted])', 'https://x.test/b.js:3:4']);
  assert.deepEqual(m.traceOf({ stack: 'f@https://x.test/a.js:1:2\n@https://x.test/b.js:3:4' }, 0), ['f (https://x.test/a.js:1:2)', 'https://x.test/b.js:3:4']);
});

/** A fake transport that answers each send with the next scripted outcome. */
function fakeTransport(script) {
  const sent = [];
  return {
    sent,
    send(body) {
      sent.push(body);
      const next = script.length ? script.shift() : { kind: 'done' };
      return Promise.resolve(next);
    },
    sendNow: () => false,
  };
}

function memorySlot() {
  let value = null;
  return { read: () => value, write: (v) => (value = v), remove: () => (value = null) };
}

// the queue gzips with CompressionStream when there is one: keep these tests synchronous enough for mock timers
const withoutGzip = (t) => {
  const saved = globalThis.CompressionStream;
  globalThis.CompressionStream = undefined;
  t.after(() => (globalThis.CompressionStream = saved));
};

const batch = (seq, size = 10) => ({ sid: 'session-1', seq, body: JSON.stringify({ seq, pad: 'x'.repeat(size) }) });
/** Lets promises and the (real) gzip streams run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('queue: retries with backoff that honours Retry-After, then succeeds without a gap', async (t) => {
  withoutGzip(t);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const transport = fakeTransport([{ kind: 'retry', afterMs: 1000 }, { kind: 'retry', afterMs: 1000 }]);
  const gaps = [];
  const queue = m.createQueue({ transport, maxBytes: 1e6, store: memorySlot(), onGap: (sid, gap) => gaps.push(gap) });
  queue.push(batch(0));
  await settle();
  assert.equal(transport.sent.length, 1);
  t.mock.timers.tick(500);
  queue.drain(); // retries now, but not before Retry-After
  await settle();
  t.mock.timers.tick(499);
  await settle();
  assert.equal(transport.sent.length, 1, 'waits at least Retry-After');
  t.mock.timers.tick(1);
  await settle();
  assert.equal(transport.sent.length, 2);
  t.mock.timers.tick(2000); // the second delay is drawn from [0, 2 s), and at least 1 s
  await settle();
  assert.equal(transport.sent.length, 3);
  assert.deepEqual(gaps, []);
});

test('transport: every response is let go once its status is read (a keepalive request holds its bytes against the page until then)', async () => {
  for (const status of [200, 503, 400]) {
    let cancelled = false;
    const body = new ReadableStream({ cancel: () => void (cancelled = true) });
    const transport = m.createTransport('http://ingest.test/api/v1/ingest', async () => new Response(body, { status }));
    const outcome = await transport.send(new Uint8Array(100));
    assert.equal(outcome.kind, { 200: 'done', 503: 'retry', 400: 'fail' }[status]);
    await new Promise((r) => setTimeout(r));
    assert.ok(cancelled, `the body of a ${status} is cancelled`);
  }
});

test("transport: on page hide, a keepalive request goes only where the browser's 64 KiB has room: beacons queued and responses just read still count", async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const beacons = [];
  const fetches = [];
  t.after(() => delete globalThis.navigator);
  globalThis.navigator = { sendBeacon: (_, blob) => (beacons.push(blob.size), true) };
  let answer;
  const transport = m.createTransport('http://ingest.test/api/v1/ingest', (_, init) => {
    fetches.push(init.body.byteLength);
    return new Promise((resolve) => (answer = () => resolve(new Response('{}'))));
  });
  const kb = (n) => new Uint8Array(n * 1024);
  const first = transport.sendNow(kb(30)); // keepalive: 30 of 60 KiB
  assert.equal(transport.sendNow(kb(32)), true, 'over 60 KiB with the first: a beacon');
  transport.sendNow(kb(20)); // 30 + 32 + 20: a beacon too, not a keepalive request the browser would refuse
  assert.deepEqual(fetches, [30 * 1024]);
  assert.deepEqual(beacons, [32 * 1024, 20 * 1024]);
  answer();
  assert.equal((await first).kind, 'done');
  t.mock.timers.tick(10_000); // every request answered, every beacon sent
  const second = transport.sendNow(kb(40));
  assert.deepEqual(fetches, [30 * 1024, 40 * 1024], 'room again once they are let go');
  answer();
  await second;
  transport.sendNow(kb(30)); // the answered 40 KiB still count for a moment: a beacon
  assert.deepEqual(beacons, [32 * 1024, 20 * 1024, 30 * 1024]);
  t.mock.timers.tick(1000);
  transport.sendNow(kb(25)); // 30 of the beacon + 25
  assert.deepEqual(fetches, [30 * 1024, 40 * 1024, 25 * 1024]);
});

test('queue: a 4xx drops the batch at once with a gap; other batches go on', async () => {
  const transport = fakeTransport([{ kind: 'fail', status: 413 }]);
  const gaps = [];
  const queue = m.createQueue({ transport, maxBytes: 1e6, store: memorySlot(), onGap: (sid, gap) => gaps.push([sid, gap]) });
  queue.push(batch(0));
  queue.push(batch(1));
  await queue.drain();
  assert.equal(transport.sent.length, 2);
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0][0], 'session-1');
  assert.deepEqual({ ...gaps[0][1], bytes: undefined }, { fromSeq: 0, toSeq: 0, reason: 'dropped', status: 413, bytes: undefined });
  assert.ok(gaps[0][1].bytes > 10);
});

test('queue: a batch is given up after MAX_TRIES failures', async (t) => {
  withoutGzip(t);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const transport = fakeTransport(Array.from({ length: 20 }, () => ({ kind: 'retry' })));
  const gaps = [];
  const queue = m.createQueue({ transport, maxBytes: 1e6, store: memorySlot(), onGap: (sid, gap) => gaps.push(gap) });
  queue.push(batch(7));
  for (let i = 0; i < 12; i++) {
    await settle();
    t.mock.timers.tick(60000); // the longest delay, so the batch does not age out first
  }
  await settle();
  assert.equal(transport.sent.length, m.MAX_TRIES);
  assert.deepEqual(gaps.map((g) => [g.fromSeq, g.toSeq, g.reason]), [[7, 7, 'dropped']]);
});

test('queue: over the byte limit the oldest batches are dropped as one queue_full gap', async (t) => {
  withoutGzip(t);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const transport = fakeTransport(Array.from({ length: 100 }, () => ({ kind: 'retry', afterMs: 60000 })));
  const gaps = [];
  const queue = m.createQueue({ transport, maxBytes: 5000, store: memorySlot(), onGap: (sid, gap) => gaps.push(gap) });
  for (let seq = 0; seq < 10; seq++) {
    queue.push(batch(seq, 1000));
    await settle();
  }
  const full = gaps.filter((g) => g.reason === 'queue_full');
  assert.ok(full.length >= 1);
  const lost = full.reduce((n, g) => n + g.toSeq - g.fromSeq + 1, 0);
  assert.ok(lost >= 5, `dropped ${lost} batches of ~1 KB to stay under 5 KB`);
  assert.equal(full[0].fromSeq, 0, 'the oldest go first');
});

test('queue: a batch is given up after 10 minutes', async (t) => {
  withoutGzip(t);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const transport = fakeTransport(Array.from({ length: 20 }, () => ({ kind: 'retry', afterMs: 4 * 60000 })));
  const gaps = [];
  const queue = m.createQueue({ transport, maxBytes: 1e6, store: memorySlot(), onGap: (sid, gap) => gaps.push(gap) });
  queue.push(batch(3));
  for (let i = 0; i < 5; i++) {
    await settle();
    t.mock.timers.tick(4 * 60000);
  }
  await settle();
  assert.equal(transport.sent.length, 4, 'tried at 0, 4, 8 and 12 minutes');
  assert.deepEqual(gaps.map((g) => [g.fromSeq, g.reason]), [[3, 'dropped']]);
});

test('queue: a lost batch reports again the gaps it carried', async () => {
  const transport = fakeTransport([{ kind: 'fail', status: 400 }]);
  const gaps = [];
  const queue = m.createQueue({ transport, maxBytes: 1e6, store: memorySlot(), onGap: (sid, gap) => gaps.push(gap) });
  const carrying = { ...batch(5), gaps: [{ fromSeq: 2, toSeq: 3, reason: 'queue_full', bytes: 99 }] };
  queue.push(carrying);
  await queue.drain();
  assert.deepEqual(
    gaps.map((g) => [g.fromSeq, g.toSeq, g.reason]),
    [[5, 5, 'dropped'], [2, 3, 'queue_full']],
  );
});

test('queue: on page hide unsent batches are stored, and the next page sends them', async () => {
  const store = memorySlot();
  const failing = fakeTransport([{ kind: 'retry', afterMs: 60000 }]);
  const first = m.createQueue({ transport: failing, maxBytes: 1e6, store, onGap: () => {} });
  first.push(batch(0));
  first.push(batch(1));
  await settle();
  first.hide();
  const stored = store.read();
  assert.deepEqual(JSON.parse(stored).b.map((b) => b.seq), [0, 1]);
  first.clear(); // the page is gone (this also empties the store)
  store.write(stored);

  const ok = fakeTransport([]);
  const second = m.createQueue({ transport: ok, maxBytes: 1e6, store, onGap: () => {} });
  second.restore();
  await second.drain();
  assert.equal(ok.sent.length, 2);
  assert.equal(store.read(), null, 'the stored copy is consumed');
});

test('queue: the stored copy is capped, oldest dropped with a gap recorded by the next page', async () => {
  const store = memorySlot();
  const failing = fakeTransport(Array.from({ length: 10 }, () => ({ kind: 'retry', afterMs: 60000 })));
  const first = m.createQueue({ transport: failing, maxBytes: 1e8, store, onGap: () => {} });
  const big = Math.floor(m.MAX_STORED / 3);
  for (let seq = 0; seq < 4; seq++) first.push(batch(seq, big));
  await settle();
  first.hide();
  const stored = store.read();
  first.clear();
  store.write(stored);
  const gaps = [];
  const second = m.createQueue({ transport: fakeTransport([]), maxBytes: 1e8, store, onGap: (sid, gap) => gaps.push(gap) });
  second.restore();
  await second.drain();
  assert.deepEqual(JSON.parse(stored).b.map((b) => b.seq), [2, 3]);
  assert.deepEqual(gaps.map((g) => [g.fromSeq, g.toSeq, g.reason]), [[0, 1, 'queue_full']]);
});

test('baggage: session.id is added, an old one replaced, other members kept; over 8192 bytes it is left as it was', () => {
  assert.equal(m.withSession(null, 'abc12345'), 'session.id=abc12345');
  assert.equal(m.withSession('foo=bar', 'abc12345'), 'foo=bar,session.id=abc12345');
  assert.equal(m.withSession(' foo=bar;p=1 , session.id = old ,userId=7', 'abc12345'), 'foo=bar;p=1,userId=7,session.id=abc12345');
  assert.equal(m.withSession('session.ids=x', 'abc12345'), 'session.ids=x,session.id=abc12345');
  const full = 'k=' + 'v'.repeat(m.MAX_BAGGAGE - 10);
  assert.equal(m.withSession(full, 'abc12345'), full);
  const fits = 'k=' + 'v'.repeat(m.MAX_BAGGAGE - 'k=,session.id=abc12345'.length);
  assert.equal(m.withSession(fits, 'abc12345').length, m.MAX_BAGGAGE);
});

test('payload masking: PII and secret keys, undefined dropped, cycles cut', () => {
  const cyclic = { name: 'x' };
  cyclic.self = cyclic;
  assert.deepEqual(m.maskValue({ email: 'a@example.com', password: 'p', n: 3, u: undefined, nested: { phone: '+1 415 555 2671' } }), {
    email: '*************',
    password: '[redacted]',
    n: 3,
    nested: { phone: '***************' },
  });
  assert.deepEqual(m.maskValue(cyclic), { name: 'x', self: '[Circular]' });
  assert.equal(m.maskValue('see ?token=abc'), 'see ?token=[redacted]');
  assert.equal(m.maskValue(42), 42);
});

test('error-sampling ring: keeps the window from a keyframe on, asks for keyframes, bounds its size', () => {
  const META = 4;
  const ring = m.createRing(1000, 1000);
  const add = (type, at, json = 'x') => ring.add(type, at, json);
  assert.equal(add(META, 0), false);
  add(2, 0);
  add(3, 500);
  assert.equal(add(3, 1001), true, 'a keyframe is due once the segment is older than the window');
  add(META, 1002);
  add(2, 1002);
  add(3, 1500);
  add(META, 2100);
  add(2, 2100);
  add(3, 2500);
  // at 2500 the window starts at 1500: the segment from 1002 is the last one that began before it
  assert.deepEqual(ring.take().map((parts) => parts.length), [3, 3]);
  assert.deepEqual(ring.take(), [], 'take empties it');

  const small = m.createRing(60000, 100);
  small.add(META, 0, 'k'.repeat(40));
  small.add(2, 0, 'k'.repeat(40));
  assert.equal(small.add(3, 1, 'e'.repeat(60)), true, 'a keyframe is due when the events since the last one pass half the limit');
  small.add(META, 2, 'k'.repeat(10));
  small.add(2, 2, 'k'.repeat(10));
  assert.deepEqual(small.take().map((parts) => parts.length), [2], 'over the limit, older segments go even within the window');
});

test('session record: the sampling decision is made once, kept across pages, and upgraded from buffer to full', () => {
  const slot = memorySlot();
  let decisions = 0;
  const decide = () => (decisions++, 'buffer');
  const first = m.openSession(slot, 1000, 0, decide);
  assert.equal(first.mode, 'buffer');
  const second = m.openSession(slot, 1000, 10, decide);
  assert.equal(second.id, first.id);
  assert.equal(second.mode, 'buffer');
  assert.equal(decisions, 1, 'decided once per session');
  second.setMode('full');
  first.takeSeq(); // merges what the other page wrote
  assert.equal(first.mode, 'full');
  assert.equal(m.openSession(slot, 1000, 20, decide).mode, 'full');
  slot.write(JSON.stringify({ id: 'old-session-1', nextSeq: 3, lastActivity: 20 }));
  assert.equal(m.openSession(slot, 1000, 30, decide).mode, 'full', 'a record from before sampling is recorded in full');
  assert.equal(m.openSession(slot, 1000, 5000, () => 'off').mode, 'off', 'a new session after the timeout decides again');
});

test('release: sent with every batch when set, left out otherwise', () => {
  const withRelease = JSON.parse(m.makeBatch('session-1', 3, 'playhead-js/x', ['{"type":4}'], 'shop@4.1.0+build.7').body);
  assert.equal(withRelease.release, 'shop@4.1.0+build.7');
  assert.deepEqual(withRelease.events, [{ type: 4 }]);
  assert.equal('release' in JSON.parse(m.makeBatch('session-1', 3, 'playhead-js/x', []).body), false);
});

test('utf8Length: the bytes TextEncoder writes, for ASCII and every UTF-8 length', () => {
  const enc = new TextEncoder();
  const cases = ['', 'plain {"json":1}', 'é', 'aé€😀z', '€'.repeat(1000) + 'x', '😀😀', 'ascii '.repeat(10000) + 'ü' + 'tail'];
  const pieces = ['A', 'é', '€', '😀', '\u07ff', '\u0800', '\uffff', '"'];
  for (let i = 0; i < 200; i++) {
    let s = '';
    for (let j = 0; j < 50; j++) s += pieces[(i * 7 + j * 13) % pieces.length];
    cases.push(s);
  }
  for (const s of cases) assert.equal(m.utf8Length(s), enc.encode(s).length, JSON.stringify(s.slice(0, 40)));
});

test('the ES module imports where there is no DOM (server-side rendering), and its calls do nothing there', async () => {
  const sdk = await import(pathToFileURL(join(root, 'dist', 'index.mjs')).href);
  assert.equal(typeof sdk.init, 'function');
  sdk.init({ endpoint: 'https://playhead.example', projectKey: 'k' });
  assert.equal(sdk.getSessionId(), undefined);
});
