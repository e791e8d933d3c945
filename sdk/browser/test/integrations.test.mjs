// Real-browser tests of what ties a session to the rest of an app: the API
// (identify, track, setMetadata, getReplayURL, onError), the session in the
// `baggage` of the app's own requests, Sentry (the real @sentry/browser,
// bundled with esbuild), error-only sampling and the bug report widget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { EventType, browserSkip, customs, events, root, sessionBatches as batchesOf, startHarness, waitFor } from './harness.mjs';

let harness;
let ingest;
let seen;
let pages;
let sdk;

before(async () => {
  harness = await startHarness();
  ({ ingest, seen, pages, sdk } = harness);
});

after(() => harness?.close());

const sessionBatches = (sid) => batchesOf(ingest, sid);
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** A page of the pages origin with the SDK loaded but not started, then `init(options)` with the test endpoint. */
async function startPage(options = {}) {
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  await page.evaluate(
    ([endpoint, options]) => Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 200, ...options }),
    [sdk.origin, options],
  );
  return { context, page, sid: await page.evaluate(() => Playhead.getSessionId()) };
}

test('baggage carries the session to the own origin and propagateTo only; traceparent is recorded', { skip: browserSkip }, async () => {
  const otherOrigin = sdk.origin; // 127.0.0.1:port: not in propagateTo
  const listedOrigin = sdk.origin.replace('127.0.0.1', 'localhost'); // the same server, another origin: listed
  const { context, page, sid } = await startPage({ propagateTo: [listedOrigin] });
  const traceparent = `00-${TRACE_ID}-${SPAN_ID}-01`;
  await page.evaluate(
    async ([other, listed, traceparent]) => {
      await fetch('/headers?fetch', { headers: { baggage: 'foo=bar', traceparent } });
      await fetch(new Request('/headers?request', { headers: { Baggage: 'a=1;p, session.id=stale' } }));
      await new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', '/headers?xhr');
        xhr.setRequestHeader('baggage', 'foo=bar');
        xhr.setRequestHeader('traceparent', traceparent);
        xhr.onloadend = resolve;
        xhr.send();
      });
      await fetch(other + '/headers?other');
      await new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', other + '/headers?other-xhr');
        xhr.onloadend = resolve;
        xhr.send();
      });
      await fetch(listed + '/headers?listed');
    },
    [otherOrigin, listedOrigin, traceparent],
  );
  const baggage = (path) => seen.headers.find((r) => r.path === '/headers?' + path)?.headers.baggage;
  assert.equal(baggage('fetch'), `foo=bar,session.id=${sid}`, 'fetch: merged with the page’s baggage');
  assert.equal(baggage('request'), `a=1;p,session.id=${sid}`, 'a Request: merged, the stale session.id replaced');
  assert.equal(baggage('xhr'), `foo=bar,session.id=${sid}`, 'XHR: one merged header');
  assert.equal(baggage('other'), undefined, 'no baggage to an origin not in propagateTo');
  assert.equal(baggage('other-xhr'), undefined, 'no baggage to an origin not in propagateTo (XHR)');
  assert.equal(baggage('listed'), `session.id=${sid}`, 'an origin in propagateTo gets it');

  await page.evaluate(() => Playhead.flush());
  const requests = customs(sessionBatches(sid), 'playhead.network');
  for (const type of ['fetch', 'xhr']) {
    const request = requests.find((r) => r.type === type && r.url === `${pages.origin}/headers?${type}`);
    assert.ok(request, `the ${type} request was recorded`);
    assert.deepEqual([request.traceId, request.spanId], [TRACE_ID, SPAN_ID], `${type}: its trace and span IDs are recorded`);
  }
  assert.equal(requests.find((r) => r.url.endsWith('?listed')).traceId, undefined);
  await context.close();
});

test('identify, track, setMetadata, getReplayURL and onError', { skip: browserSkip }, async () => {
  const { context, page, sid } = await startPage();
  const result = await page.evaluate(() => {
    window.errorInfos = [];
    window.unsubscribed = [];
    Playhead.onError(() => {
      throw new Error('a failing callback does not stop the others');
    });
    Playhead.onError((info) => window.errorInfos.push(info));
    const unsubscribe = Playhead.onError((info) => window.unsubscribed.push(info));
    unsubscribe();
    Playhead.identify('user-42', { plan: 'pro', email: 'jane.doe@example.com', apiToken: 'tok-123' });
    Playhead.track('checkout.completed', { total: 42, card: '4111 1111 1111 1111', note: 'call +44 20 7946 0958' });
    Playhead.track('playhead.fake', { x: 1 });
    Playhead.setMetadata('release', '1.2.3');
    Playhead.setMetadata('plan', 'pro');
    Playhead.setMetadata('password', 'hunter2');
    const before = Date.now();
    const urls = {
      now: Playhead.getReplayURL(),
      at: Playhead.getReplayURL({ at: 1764270000123 }),
      date: Playhead.getReplayURL({ at: new Date(1764270000456) }),
    };
    return { urls, before };
  });
  const base = `${sdk.origin}/sessions/${sid}?at=`;
  assert.equal(result.urls.at, base + '1764270000123');
  assert.equal(result.urls.date, base + '1764270000456');
  assert.ok(result.urls.now.startsWith(base) && Math.abs(+result.urls.now.slice(base.length) - result.before) < 1000, result.urls.now);

  const thrownAt = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const at = Date.now();
        setTimeout(() => {
          throw new Error('boom-for-onError');
        }, 0);
        setTimeout(() => resolve(at), 50);
      }),
  );
  const infos = await page.evaluate(() => window.errorInfos.map((i) => ({ sessionId: i.sessionId, replayURL: i.replayURL, message: i.error.message })));
  assert.equal(infos.length, 1);
  assert.equal(await page.evaluate(() => window.unsubscribed.length), 0, 'an unsubscribed callback is not called');
  assert.equal(infos[0].sessionId, sid);
  assert.equal(infos[0].message, 'boom-for-onError', 'the callback gets what was thrown');
  const at = +infos[0].replayURL.slice(base.length);
  assert.ok(infos[0].replayURL.startsWith(base) && at >= thrownAt && at < thrownAt + 1000, infos[0].replayURL);

  await page.evaluate(() => Playhead.flush());
  const batches = sessionBatches(sid);
  assert.deepEqual(customs(batches, 'playhead.identify'), [
    { userId: 'user-42', traits: { plan: 'pro', email: '********************', apiToken: '[redacted]' } },
  ]);
  assert.deepEqual(customs(batches, 'checkout.completed'), [{ total: 42, card: '[redacted]', note: 'call ****************' }]);
  assert.deepEqual(customs(batches, 'playhead.fake'), [], 'names starting with playhead. are refused');
  assert.deepEqual(customs(batches, 'playhead.metadata'), [
    { key: 'release', value: '1.2.3' },
    { key: 'plan', value: 'pro' },
    { key: 'password', value: '[redacted]' },
  ]);
  await context.close();
});

test('Sentry (the real @sentry/browser): every event carries the session and its replay URL; script tag options', { skip: browserSkip }, async () => {
  const bundle = await esbuild.build({
    stdin: { contents: "import * as Sentry from '@sentry/browser'; window.Sentry = Sentry;", resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'warning',
  });
  harness.addPage('/sentry.js', bundle.outputFiles[0].text, 'text/javascript');
  const dsn = sdk.origin.replace('://', '://public@') + '/1';
  const listedOrigin = sdk.origin.replace('127.0.0.1', 'localhost');
  harness.addPage(
    '/sentry',
    `<!doctype html><html><head><meta charset="utf-8"><title>Sentry fixture</title>
<script src="/sentry.js"></script>
<script>Sentry.init({ dsn: ${JSON.stringify(dsn)}, release: 'fixture@1', sendClientReports: false });</script>
<script src="{{SDK_URL}}" data-project-key="test-key" data-sample-rate="0" data-error-sample-rate="1"
  data-feedback data-propagate-to="${listedOrigin}"></script>
</head><body><h1>Sentry fixture</h1></body></html>`,
  );
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/sentry`);
  await page.waitForFunction(() => window.Playhead && window.Playhead.getSessionId());
  const sid = await page.evaluate(() => Playhead.getSessionId());
  // the script tag's options: error-only sampling, the report button, propagation
  assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.session')).mode), 'buffer');
  await page.getByRole('button', { name: 'Report a problem' }).waitFor();
  await page.evaluate((listed) => fetch(listed + '/headers?script-tag'), listedOrigin);
  assert.equal(seen.headers.find((r) => r.path === '/headers?script-tag').headers.baggage, `session.id=${sid}`);

  // a message is not an error; an exception Sentry captures (handled) makes the session upload
  await page.evaluate(() => Sentry.captureMessage('sentry-fixture-message'));
  await waitFor('the message envelope', () => seen.envelopes.some((e) => e.includes('sentry-fixture-message')));
  await page.waitForTimeout(300); // an upload would have started before the envelope was sent
  assert.equal(ingest.attempts.filter((a) => a.sid === sid).length, 0, 'no upload for a message');
  await page.evaluate(() => Sentry.captureException(new Error('sentry-handled-error')));
  await waitFor('the upload a captured exception starts', () => sessionBatches(sid).length);

  const thrownAt = await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('sentry-fixture-error');
    }, 0);
    return Date.now();
  });
  const envelope = await waitFor('the Sentry envelope of the error', () => seen.envelopes.find((e) => e.includes('sentry-fixture-error')));
  const event = envelope
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .find((item) => item.exception);
  assert.ok(event, 'the envelope holds the error event');
  assert.equal(event.tags['playhead.session_id'], sid);
  assert.equal(event.contexts.playhead.sessionId, sid);
  const replayURL = event.contexts.playhead.replayURL;
  const base = `${sdk.origin}/sessions/${sid}?at=`;
  assert.ok(replayURL.startsWith(base), replayURL);
  const at = +replayURL.slice(base.length);
  assert.ok(at >= thrownAt - 1000 && at < thrownAt + 2000, `the replay URL opens at the error (${at - thrownAt} ms off)`);
  await waitFor('the recorded error', () => customs(sessionBatches(sid), 'playhead.error').length);
  await context.close();
});

test('error-only sampling: nothing is sent before an error; then the last seconds, from a keyframe, and everything after', { skip: browserSkip }, async () => {
  const BUFFER_MS = 1500;
  const { context, page, sid } = await startPage({ sampleRate: 0, errorSampleRate: 1, bufferMs: BUFFER_MS });
  assert.match(sid, /^[0-9a-f]{32}$/);
  const mode = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.session')).mode);
  assert.equal(await mode(), 'buffer');
  await page.evaluate(() => Playhead.identify('buffered-user'));
  // 4 s of activity: DOM changes and console output every 100 ms
  await page.evaluate(
    () =>
      new Promise((resolve) => {
        let i = 0;
        const timer = setInterval(() => {
          const li = document.createElement('li');
          li.textContent = `item ${i}`;
          document.getElementById('list').appendChild(li);
          console.log(`tick ${i}`);
          if (++i === 40) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
      }),
  );
  await page.evaluate(() => Playhead.flush());
  await page.waitForTimeout(300);
  assert.equal(ingest.attempts.filter((a) => a.sid === sid).length, 0, 'nothing is uploaded before an error');

  const errorAt = await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('buffer-trigger-error');
    }, 0);
    return Date.now();
  });
  const uploaded = await waitFor('the buffered batches', () => {
    const found = sessionBatches(sid);
    return customs(found, 'playhead.error').some((e) => e.message.includes('buffer-trigger-error')) ? found : undefined;
  });
  assert.equal(await mode(), 'full', 'the session is recorded in full from now on');
  const all = events(uploaded);
  assert.equal(uploaded[0].batch.seq, 0);
  assert.equal(all[0].type, EventType.Meta, 'the upload begins with a keyframe');
  assert.equal(all[1].type, EventType.FullSnapshot);
  assert.ok(all[0].timestamp <= errorAt - BUFFER_MS, 'it covers the whole window before the error');
  assert.ok(all[0].timestamp > errorAt - 3 * BUFFER_MS, `older keyframes were dropped (${errorAt - all[0].timestamp} ms before the error)`);
  const ticks = all.filter((e) => e.type === EventType.Plugin).map((e) => +JSON.parse(e.data.payload.payload[0]).split(' ')[1]);
  assert.ok(ticks.length >= 10 && ticks[ticks.length - 1] === 39, 'the console output up to the error is there');
  assert.ok(ticks[0] > 0, 'the first ticks were dropped with their keyframe');
  assert.deepEqual(customs(uploaded, 'playhead.identify'), [{ userId: 'buffered-user' }], 'identify survives the window');
  for (const { batch } of uploaded) {
    const meta = batch.events.findIndex((e) => e.type === EventType.Meta);
    assert.ok(meta <= 0, `batch ${batch.seq}: a keyframe leads its batch`);
  }

  // then recorded and sent as usual
  await page.evaluate(() => console.log('after-the-error'));
  await waitFor('events after the error', () =>
    sessionBatches(sid).some((b) => b.text.includes('after-the-error')),
  );
  await context.close();

  // a session neither sample picks records nothing at all
  const off = await startPage({ sampleRate: 0, errorSampleRate: 0 });
  assert.equal(off.sid, undefined);
  assert.equal(await off.page.evaluate(() => window.fetch === originals.fetch), true, 'nothing is patched');
  assert.equal(await off.page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.session')).mode), 'off', 'the decision is kept for the session');
  await off.context.close();
});

test('report widget: opened and filled in by keyboard, sent at once; Escape closes; never recorded', { skip: browserSkip }, async () => {
  const { context, page, sid } = await startPage({ feedback: true });
  const button = page.getByRole('button', { name: 'Report a problem' });
  await button.waitFor();
  await button.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Report a problem' }).waitFor();
  const dialog = page.locator('dialog');
  assert.equal(await dialog.getAttribute('aria-modal'), 'true');
  assert.equal(await page.getByLabel('What went wrong?').count(), 1, 'the fields have labels');
  assert.equal(await page.getByLabel('Email (optional)').count(), 1);
  const activeId = () => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id ?? document.activeElement?.id);
  assert.equal(await activeId(), 'ph-text', 'focus moves to the text field');
  await page.keyboard.type('The pay button does nothing. Reach me at jane.doe@example.com');
  await page.keyboard.press('Tab');
  assert.equal(await activeId(), 'ph-email');
  await page.keyboard.type('jane.doe@example.com');
  await page.keyboard.press('Tab'); // Cancel
  await page.keyboard.press('Tab'); // Send report
  await page.keyboard.press('Tab'); // wraps around to the text field
  assert.equal(await activeId(), 'ph-text', 'Tab stays in the dialog');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter'); // Send report
  await page.getByText('Your report was sent.').waitFor();

  const reports = await waitFor('the report', () => customs(sessionBatches(sid), 'playhead.report')[0]);
  assert.deepEqual(reports, {
    text: 'The pay button does nothing. Reach me at ********************',
    email: 'jane.doe@example.com',
    url: `${pages.origin}/manual`,
  });
  await page.keyboard.press('Enter'); // Close
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.className), 'fab', 'focus returns to the button');

  // opened from the app's own control; Escape closes it and focus goes back there
  await page.focus('#name');
  await page.evaluate(() => Playhead.openReport());
  await dialog.waitFor();
  await page.keyboard.type('never sent');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await activeId(), 'name');
  await page.evaluate(() => Playhead.flush());

  const batches = sessionBatches(sid);
  assert.equal(customs(batches, 'playhead.report').length, 1);
  const recorded = JSON.stringify(events(batches).filter((e) => !(e.type === EventType.Custom && e.data.tag === 'playhead.report')));
  for (const leak of ['Report a problem', 'What went wrong', 'pay button', 'never sent', 'ph-text']) {
    assert.ok(!recorded.includes(leak), `the widget is not recorded ("${leak}")`);
  }
  // its host is recorded as an empty blocked box, 0×0
  const hosts = [];
  const walk = (node) => {
    if (node?.attributes?.class === 'rr-block rr-ignore') hosts.push(node);
    node?.childNodes?.forEach(walk);
  };
  for (const e of events(batches)) {
    if (e.type === EventType.FullSnapshot) walk(e.data.node);
    if (e.type === EventType.IncrementalSnapshot && e.data.source === 0) e.data.adds.forEach((add) => walk(add.node));
  }
  assert.ok(hosts.length > 0);
  for (const host of hosts) {
    assert.deepEqual(host.childNodes, []);
    assert.deepEqual([host.attributes.rr_width, host.attributes.rr_height], ['0px', '0px'], 'it takes no room: no layout shift');
  }
  await context.close();
});

test('the ES module build imports the widget on demand', { skip: browserSkip }, async () => {
  for (const name of ['index.mjs', 'report.mjs']) {
    harness.addPage(`/esm/${name}`, readFileSync(join(root, 'dist', name), 'utf8'), 'text/javascript');
  }
  harness.addPage(
    '/esm',
    `<!doctype html><html><head><meta charset="utf-8"><title>ESM</title></head><body><h1>ESM</h1>
<script type="module">
import * as Playhead from '/esm/index.mjs';
Playhead.init({ endpoint: ${JSON.stringify(sdk.origin)}, projectKey: 'test-key' });
window.Playhead = Playhead;
</script></body></html>`,
  );
  const context = await harness.newContext();
  const page = await context.newPage();
  const scripts = [];
  page.on('request', (request) => scripts.push(new URL(request.url()).pathname));
  await page.goto(`${pages.origin}/esm`);
  await page.waitForFunction(() => window.Playhead?.getSessionId());
  assert.ok(!scripts.includes('/esm/report.mjs'), 'not loaded before it is needed');
  await page.evaluate(() => window.Playhead.openReport());
  await page.getByRole('dialog', { name: 'Report a problem' }).waitFor();
  assert.ok(scripts.includes('/esm/report.mjs') && !scripts.includes('/sdk-report.js'), 'imported from next to index.mjs');
  await context.close();
});

test('the report widget is a separate script, not part of the recording bundle', () => {
  const recording = readFileSync(join(root, 'dist/playhead.iife.js'), 'utf8');
  const widget = readFileSync(join(root, 'dist/playhead-report.js'), 'utf8');
  assert.ok(widget.includes('Report a problem') && widget.includes('__playheadReportUI'));
  assert.ok(!recording.includes('Report a problem'), 'the widget’s UI is not in the recording bundle');
  assert.ok(recording.includes('/sdk-report.js'), 'the recording bundle loads it from the server');
  const esm = readFileSync(join(root, 'dist/index.mjs'), 'utf8');
  assert.ok(esm.includes('import("./report.mjs")') && !esm.includes('Report a problem'), 'the ES module imports it on demand');
});
