// Real-browser tests of the transport: retries, idempotent re-sends, gap
// markers, batches carried over a navigation, and the memory bound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkip, consoleEntries, customs, sessionBatches, startHarness, waitFor } from './harness.mjs';

let harness;
let ingest;
let pages;
let sdk;

before(async () => {
  harness = await startHarness();
  ({ ingest, pages, sdk } = harness);
});

after(() => harness?.close());

async function open(context, path = '/manual', options = {}) {
  const page = await context.newPage();
  await page.goto(`${pages.origin}${path}`);
  await page.evaluate(
    ([endpoint, opts]) => Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 200, ...opts }),
    [sdk.origin, options],
  );
  return { page, sid: await page.evaluate(() => Playhead.getSessionId()) };
}

const log = (page, marker) => page.evaluate((m) => console.log(m), marker);
const stored = (sid) => sessionBatches(ingest, sid);
const hasMarker = (sid, marker) => consoleEntries(stored(sid)).some((c) => c.payload.join(' ').includes(marker));

/** Every seq from 0 to the highest either arrived exactly once or is covered by a gap marker. */
function assertAccountedFor(sid) {
  const batches = stored(sid);
  const seqs = new Set(batches.map((b) => b.batch.seq));
  const gaps = customs(batches, 'playhead.gap');
  const max = Math.max(...seqs, ...gaps.map((g) => g.toSeq));
  for (let seq = 0; seq <= max; seq++) {
    assert.ok(seqs.has(seq) || gaps.some((g) => g.fromSeq <= seq && seq <= g.toSeq), `seq ${seq} arrived or is in a gap`);
  }
  return { batches, gaps };
}

test('503 with Retry-After: retried after at least that long; every seq arrives, no gap', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const { page, sid } = await open(context);
  let failures = 3;
  ingest.respond = (batch) => (batch.sid === sid && failures-- > 0 ? { status: 503, headers: { 'Retry-After': '1' } } : undefined);
  await log(page, 'retried-503-marker');
  await page.evaluate(() => Playhead.flush());
  ingest.respond = undefined;
  const attempts = ingest.attempts.filter((a) => a.sid === sid);
  const refused = attempts.filter((a) => a.answer === 503);
  assert.equal(refused.length, 3);
  for (let i = 1; i < attempts.length && attempts[i - 1].answer === 503; i++) {
    assert.ok(attempts[i].t - attempts[i - 1].t >= 950, `retry ${i} waited for Retry-After (${attempts[i].t - attempts[i - 1].t} ms)`);
  }
  assert.ok(hasMarker(sid, 'retried-503-marker'));
  const { batches, gaps } = assertAccountedFor(sid);
  assert.deepEqual(gaps, []);
  assert.deepEqual(batches.map((b) => b.batch.seq), batches.map((_, i) => i));
  await context.close();
});

test('a dropped connection is retried', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const { page, sid } = await open(context);
  let failures = 2;
  ingest.respond = (batch) => (batch.sid === sid && failures-- > 0 ? 'destroy' : undefined);
  await log(page, 'after-reset-marker');
  await page.evaluate(() => Playhead.flush());
  // flush() retries at once, so the resets may need a second call
  await waitFor('the batch after the resets', async () => {
    await page.evaluate(() => Playhead.flush());
    return hasMarker(sid, 'after-reset-marker');
  });
  ingest.respond = undefined;
  assert.equal(ingest.attempts.filter((a) => a.sid === sid && a.answer === 'destroy').length, 2);
  assert.deepEqual(assertAccountedFor(sid).gaps, []);
  await context.close();
});

test('batches keep going out past 64 KiB of keepalive requests: each response is read, which lets its bytes go', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const { page, sid } = await open(context);
  // batches of about 13 KB gzipped (random letters), each small enough to go as a keepalive request
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const random = () => Array.from({ length: 9000 }, () => letters[(Math.random() * 52) | 0]).join('');
  for (let i = 0; i < 8; i++) {
    const acked = await page.evaluate(async ([i, a, b]) => {
      console.log(`keepalive-marker-${i}`, a, b);
      return Promise.race([Playhead.flush().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    }, [i, random(), random()]);
    assert.ok(acked, `batch ${i} acknowledged within 5 s`);
  }
  for (let i = 0; i < 8; i++) assert.ok(hasMarker(sid, `keepalive-marker-${i}`), `batch ${i} arrived`);
  const attempts = ingest.attempts.filter((a) => a.sid === sid);
  assert.equal(attempts.length, new Set(attempts.map((a) => a.seq)).size, 'each batch went once');
  assert.deepEqual(assertAccountedFor(sid).gaps, []);
  await context.close();
});

test('a 413 is not retried: the batch is dropped and a gap marker follows', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const { page, sid } = await open(context);
  await page.evaluate(() => Playhead.flush());
  ingest.respond = (batch) => (JSON.stringify(batch.events).includes('too-large-marker') ? { status: 413 } : undefined);
  await log(page, 'too-large-marker');
  await page.evaluate(() => Playhead.flush());
  await log(page, 'after-413-marker');
  await page.evaluate(() => Playhead.flush());
  ingest.respond = undefined;
  const refused = ingest.attempts.filter((a) => a.sid === sid && a.answer === 413);
  assert.equal(refused.length, 1, 'tried once');
  const { gaps } = assertAccountedFor(sid);
  assert.equal(gaps.length, 1);
  assert.deepEqual({ ...gaps[0], bytes: 0 }, { fromSeq: refused[0].seq, toSeq: refused[0].seq, reason: 'dropped', status: 413, bytes: 0 });
  assert.ok(gaps[0].bytes > 100);
  assert.ok(hasMarker(sid, 'after-413-marker'));
  await context.close();
});

test('batches queued while the server is unreachable are sent by the next page', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const { page, sid } = await open(context);
  await page.evaluate(() => Playhead.flush());
  ingest.respond = () => 'destroy';
  await log(page, 'left-behind-marker');
  page.evaluate(() => Playhead.flush()).catch(() => {});
  await waitFor('a failed attempt', () => ingest.attempts.some((a) => a.sid === sid && a.answer === 'destroy'));
  await log(page, 'left-in-buffer-marker');
  await page.goto(`${pages.origin}/manual?second`); // the unload path fails too
  assert.ok(!hasMarker(sid, 'left-behind-marker'));
  const queued = await page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.queue')));
  assert.ok(queued.b.length >= 2 && queued.b.every((b) => b.sid === sid), 'the unsent batches were kept for this page');

  ingest.respond = undefined;
  await page.evaluate((endpoint) => Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 200 }), sdk.origin);
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), sid, 'same tab, same session');
  await page.evaluate(() => Playhead.flush());
  assert.ok(hasMarker(sid, 'left-behind-marker') && hasMarker(sid, 'left-in-buffer-marker'), 'the next page sent them');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('playhead.queue')), null);
  const { batches, gaps } = assertAccountedFor(sid);
  assert.deepEqual(gaps, []);
  assert.deepEqual(batches.map((b) => b.batch.seq), batches.map((_, i) => i), 'original seqs, none lost');
  await context.close();
});

test('with the server down, DOM churn keeps the queue under its byte limit, with a queue_full gap', { skip: browserSkip }, async () => {
  const LIMIT = 256 * 1024;
  const context = await harness.newContext();
  const { page, sid } = await open(context, '/manual', { maxQueueBytes: LIMIT });
  await page.evaluate(() => Playhead.flush());
  ingest.respond = () => 'destroy';
  const firstSeq = await page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.session')).nextSeq);
  // about 1.5 MB of mutations, in 60 tasks of 25 KB
  const started = Date.now();
  await page.evaluate(
    () =>
      new Promise((resolve) => {
        let round = 0;
        const timer = setInterval(() => {
          const list = document.getElementById('list');
          for (let i = 0; i < 25; i++) {
            const li = document.createElement('li');
            li.textContent = `round ${round} item ${i} `.padEnd(1000, 'lorem ipsum ');
            list.appendChild(li);
          }
          if (list.children.length > 200) list.replaceChildren();
          if (++round === 60) {
            clearInterval(timer);
            resolve();
          }
        }, 50);
      }),
  );
  assert.ok(Date.now() - started < 15000, 'the page stayed responsive');
  await page.waitForTimeout(300); // the last flush interval
  const lastSeq = await page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.session')).nextSeq - 1);
  ingest.respond = undefined;
  await page.evaluate(() => Playhead.flush());
  await page.evaluate(() => Playhead.flush()); // the gap markers, recorded meanwhile
  const { batches, gaps } = assertAccountedFor(sid);
  const full = gaps.filter((g) => g.reason === 'queue_full');
  assert.ok(full.length >= 1, 'a queue_full gap was recorded');
  const heldBytes = batches
    .filter((b) => b.batch.seq >= firstSeq && b.batch.seq <= lastSeq)
    .reduce((n, b) => n + Buffer.byteLength(b.text), 0);
  const largest = Math.max(...batches.map((b) => Buffer.byteLength(b.text)));
  assert.ok(heldBytes <= LIMIT + largest, `queued during the outage: ${heldBytes} bytes, limit ${LIMIT}`);
  assert.ok(full.reduce((n, g) => n + g.bytes, 0) > LIMIT, 'more than the limit was dropped');
  await context.close();
});
