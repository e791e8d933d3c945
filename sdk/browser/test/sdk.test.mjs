// Real-browser tests of dist/playhead.iife.js: headless Chromium loads fixture
// pages from one local origin and the SDK from a second one, which also plays
// the Playhead ingest endpoint (see harness.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import {
  EventType,
  assertContiguous,
  assertKeyframesLeadBatches,
  browserSkip,
  consoleEntries,
  customs,
  events,
  sessionBatches as batchesOf,
  startHarness,
  waitFor,
} from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

let harness;
let ingest; // what the ingest endpoint saw
let pages; // origin serving the fixture pages
let sdk; // origin serving sdk.js and /api/v1/ingest
let deadOrigin; // an origin nothing listens on

before(async () => {
  harness = await startHarness();
  ({ ingest, pages, sdk, deadOrigin } = harness);
});

after(() => harness?.close());

const newContext = () => harness.newContext();
const sessionBatches = (sid) => batchesOf(ingest, sid);

test('records a visit across a reload: snapshot, masking, console, errors, network, navigation', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/`);
  await page.waitForFunction(() => window.Playhead && window.Playhead.getSessionId());
  const sid = await page.evaluate(() => Playhead.getSessionId());
  assert.match(sid, /^[0-9a-f]{32}$/);

  await page.fill('#name', 'typed-secret-value');
  await page.type('#password', 'hunter2-password');
  await page.type('#notes', 'textarea-secret-notes');
  await page.click('#button');
  await page.evaluate(() => console.error('console-error-marker', { detail: 1 }));
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('thrown-error-marker');
    }, 0);
    Promise.reject(new Error('rejection-marker'));
  });
  const failStatus = await page.evaluate(() => fetch('/api/fail').then((r) => r.status));
  assert.equal(failStatus, 500, 'the patched fetch hands the page the real response');
  await page.evaluate(
    () =>
      new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', '/api/ok');
        xhr.onloadend = resolve;
        xhr.send('0123456789');
      }),
  );
  const deadError = await page.evaluate((url) => fetch(url).then(() => 'resolved', (e) => e.name), `${deadOrigin}/nothing`);
  assert.equal(deadError, 'TypeError', 'the patched fetch hands the page the real rejection');
  await page.evaluate(() => history.pushState({}, '', '/spa-route?step=2'));
  await page.evaluate(() => {
    document.body.style.minHeight = '5000px';
    window.scrollTo(0, 321);
  });
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
  await page.evaluate(() => Playhead.flush());

  // Left in the buffer: goes out on page hide, as plain JSON.
  await page.evaluate(() => console.log('before-reload-marker'));
  await page.reload();
  await page.waitForFunction(() => window.Playhead && window.Playhead.getSessionId());
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), sid, 'the session survives a reload in the same tab');
  await page.click('#button');
  await page.evaluate(() => Playhead.flush());

  const batches = await waitFor('the batch sent on page hide', () => {
    const found = sessionBatches(sid);
    const all = events(found);
    return consoleEntries(found).some((c) => c.payload.join(' ').includes('before-reload-marker')) &&
      all.filter((e) => e.type === EventType.Meta).length >= 2
      ? found
      : undefined;
  });
  await context.close();

  assert.equal(ingest.rejected.length, 0, `every body parsed: ${ingest.rejected}`);
  assert.equal(ingest.preflights, 0, 'ingest requests are CORS simple requests: no preflight');
  for (const entry of ingest.batches) {
    assert.equal(entry.key, 'test-key');
    assert.match(entry.contentType, /^text\/plain/);
    assert.equal(entry.batch.v, 1);
    assert.match(entry.batch.sdk, /^playhead-js\/\d+\.\d+\.\d+/);
    assert.ok(entry.batch.events.length >= 1);
    for (const e of entry.batch.events) {
      assert.ok(Number.isInteger(e.type) && e.type >= 0 && e.type <= 6, `event type ${e.type}`);
      assert.equal(typeof e.timestamp, 'number');
      assert.equal(typeof e.data, 'object');
    }
  }

  // seq 0, 1, 2, … across both page loads, one session
  assertContiguous(batches);
  assert.ok(batches.length >= 3);
  const first = batches[0].batch.events;
  assert.equal(first[0].type, EventType.Meta, 'the first batch begins with Meta');
  assert.ok(first.some((e) => e.type === EventType.FullSnapshot), 'the first batch has a FullSnapshot');
  assertKeyframesLeadBatches(batches);
  const reloadBatch = batches.find((b) => b.batch.seq > 0 && b.batch.events[0].type === EventType.Meta);
  assert.ok(reloadBatch, 'the reloaded page continues the session with a new keyframe');
  assert.match(reloadBatch.batch.events[0].data.href, /\/spa-route\?step=2$/);

  const documentId = first.find((e) => e.type === EventType.FullSnapshot).data.node.id;
  assert.ok(
    events(batches).some((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 3 && e.data.id === documentId && e.data.y === 321),
    "the window's scroll is recorded as the document's",
  );
  assert.ok(batches.some((b) => b.gzip), 'normal sends are gzip-compressed');
  const hideBatch = batches.find((b) => b.text.includes('before-reload-marker'));
  assert.equal(hideBatch.gzip, false, 'the page-hide send is plain JSON');

  // masking: typed values never leave the browser, passwords least of all
  for (const entry of ingest.batches) {
    for (const secret of ['typed-secret', 'hunter2', 'textarea-secret']) {
      assert.ok(!entry.text.includes(secret), `batch ${entry.batch.seq} leaks "${secret}"`);
    }
  }
  const inputs = events(batches).filter((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 5);
  assert.ok(inputs.length > 0, 'input events were recorded');
  assert.ok(inputs.every((e) => /^\**$/.test(e.data.text)), 'input values are masked with *');

  // console output via rrweb's console plugin
  const logs = consoleEntries(batches);
  const consoleError = logs.find((c) => c.level === 'error' && c.payload.join(' ').includes('console-error-marker'));
  assert.ok(consoleError, 'console.error is a type 6 plugin event');
  assert.ok(Array.isArray(consoleError.trace));
  assert.ok(
    !logs.some((c) => c.payload.join(' ').includes('thrown-error-marker')),
    'an uncaught error is a playhead.error, not also a console entry',
  );

  const errors = customs(batches, 'playhead.error');
  const thrown = errors.find((e) => e.message.includes('thrown-error-marker'));
  assert.ok(thrown, 'a thrown error is a playhead.error');
  assert.equal(thrown.kind, 'error');
  assert.match(thrown.stack, /thrown-error-marker/);
  assert.equal(typeof thrown.line, 'number');
  const rejection = errors.find((e) => e.message.includes('rejection-marker'));
  assert.ok(rejection, 'an unhandled rejection is a playhead.error');
  assert.equal(rejection.kind, 'unhandledrejection');

  const requests = customs(batches, 'playhead.network');
  const failed = requests.find((r) => r.url === `${pages.origin}/api/fail`);
  assert.ok(failed, 'a fetch is a playhead.network event with an absolute URL');
  assert.equal(failed.type, 'fetch');
  assert.equal(failed.method, 'GET');
  assert.equal(failed.status, 500);
  assert.equal(failed.resSize, 'failure'.length);
  assert.ok(failed.start > 1.6e12 && failed.duration >= 0);
  const xhr = requests.find((r) => r.url === `${pages.origin}/api/ok`);
  assert.ok(xhr, 'an XMLHttpRequest is a playhead.network event');
  assert.deepEqual([xhr.type, xhr.method, xhr.status, xhr.reqSize], ['xhr', 'POST', 200, 10]);
  const dead = requests.find((r) => r.url.startsWith(deadOrigin));
  assert.ok(dead, 'a failed fetch is recorded');
  assert.equal(dead.status, 0);
  assert.match(dead.error, /TypeError/);
  assert.ok(!requests.some((r) => r.url.includes('/api/v1/ingest')), "Playhead's own requests are not recorded");
  for (const r of requests) {
    assert.deepEqual(
      Object.keys(r).filter((k) => !['type', 'method', 'url', 'status', 'start', 'duration', 'reqSize', 'resSize', 'error'].includes(k)),
      [],
      'no headers or bodies',
    );
  }

  const navigations = customs(batches, 'playhead.navigation');
  assert.deepEqual(navigations, [{ url: `${pages.origin}/spa-route?step=2`, kind: 'push' }]);
});

test('keyframes start new batches, and an idle session rolls over to a new one', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  await page.evaluate((endpoint) => {
    Playhead.init({ endpoint, projectKey: 'test-key', checkoutEveryNms: 300, flushIntervalMs: 200, sessionTimeoutMs: 1500 });
  }, sdk.origin);
  const sid = await page.evaluate(() => Playhead.getSessionId());
  const addItems = (count) =>
    page.evaluate(
      (n) =>
        new Promise((resolve) => {
          let i = 0;
          const timer = setInterval(() => {
            const li = document.createElement('li');
            li.textContent = `item ${i}`;
            document.getElementById('list').appendChild(li);
            if (++i === n) {
              clearInterval(timer);
              resolve();
            }
          }, 100);
        }),
      count,
    );
  await addItems(12); // 1.2 s of mutations: a keyframe at least every ~300 ms
  await page.evaluate(() => Playhead.flush());

  const firstSession = sessionBatches(sid);
  assertContiguous(firstSession);
  assertKeyframesLeadBatches(firstSession);
  const keyframes = events(firstSession).filter((e) => e.type === EventType.Meta).length;
  assert.ok(keyframes >= 3, `periodic keyframes were taken (${keyframes})`);

  // idle past the timeout, then act: a new session with its own keyframe
  await page.waitForTimeout(1800);
  await page.click('h1'); // the click that ends the idle time belongs to the new session
  await addItems(2);
  await page.evaluate(() => console.warn('after-rollover-marker'));
  await page.evaluate(() => Playhead.flush());
  const newSid = await page.evaluate(() => Playhead.getSessionId());
  assert.notEqual(newSid, sid, 'a new session starts after the idle timeout');
  const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('playhead.session')));
  assert.equal(stored.id, newSid);

  const second = sessionBatches(newSid);
  assertContiguous(second);
  assertKeyframesLeadBatches(second);
  assert.equal(second[0].batch.events[0].type, EventType.Meta, 'the new session begins with a keyframe');
  const secondEvents = events(second);
  const click = secondEvents.findIndex((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 2);
  assert.ok(click > 1, 'the click that ended the idle time follows the new keyframe');
  assert.ok(secondEvents[click].timestamp >= secondEvents[0].timestamp);
  assert.ok(consoleEntries(second).some((c) => c.payload.join(' ').includes('after-rollover-marker')));
  assert.deepEqual(
    sessionBatches(sid).map((b) => b.batch.seq),
    firstSession.map((b) => b.batch.seq),
    'the old session got nothing after the rollover',
  );
  await context.close();
});

test('a keyframe is serialised after the task that took it, the events after it keep their order, and a page closed at once still sends it', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const sid = await page.evaluate((endpoint) => {
    // JSON.stringify of the snapshot: inside the task that started recording, or after it?
    const stringify = JSON.stringify;
    let starting = true;
    window.__snapshotSerialised = [];
    JSON.stringify = function (value, ...rest) {
      if (value && value.type === 2 && value.data && value.data.node) window.__snapshotSerialised.push(starting ? 'in the task' : 'after it');
      return stringify.call(this, value, ...rest);
    };
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    // events in the same task, after the keyframe
    for (let i = 0; i < 5; i++) console.log(`same-task-${i}`);
    starting = false;
    return Playhead.getSessionId();
  }, sdk.origin);
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  assert.deepEqual(await page.evaluate(() => window.__snapshotSerialised), ['after it']);
  await page.evaluate(() => console.log('next-task'));
  // left before the flush interval: leaving the page sends what waits
  await page.close({ runBeforeUnload: true });
  const batches = await waitFor('the keyframe of a page closed at once', () => {
    const got = sessionBatches(sid);
    return consoleEntries(got).some((c) => c.payload.join(' ').includes('next-task')) && got;
  });
  assertContiguous(batches);
  assertKeyframesLeadBatches(batches);
  const all = events(batches);
  assert.deepEqual(all.slice(0, 2).map((e) => e.type), [EventType.Meta, EventType.FullSnapshot]);
  const logged = consoleEntries(batches).map((c) => c.payload.join(' ').replaceAll('"', ''));
  assert.deepEqual(logged.filter((l) => /same-task|next-task/.test(l)), ['same-task-0', 'same-task-1', 'same-task-2', 'same-task-3', 'same-task-4', 'next-task']);

  // stopped in the very task that started recording: the keyframe and what followed it are sent all the same
  const other = await context.newPage();
  await other.goto(`${pages.origin}/manual`);
  const stoppedSid = await other.evaluate((endpoint) => {
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    const sid = Playhead.getSessionId();
    for (let i = 0; i < 3; i++) console.log(`before-stop-${i}`);
    Playhead.stop();
    return sid;
  }, sdk.origin);
  const sent = await waitFor('what a page stopped at once recorded', () => {
    const got = sessionBatches(stoppedSid);
    return consoleEntries(got).filter((c) => c.payload.join(' ').includes('before-stop-')).length === 3 && got;
  });
  assert.deepEqual(events(sent).slice(0, 2).map((e) => e.type), [EventType.Meta, EventType.FullSnapshot]);
  await context.close();
});

test('the snapshot keeps every child of an element when page code run while serialising one (a getter) removes it', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const sid = await page.evaluate(async (endpoint) => {
    const box = document.createElement('div');
    box.id = 'walked';
    box.innerHTML = '<input id="remover"><b id="after-1">one</b><b id="after-2">two</b>';
    document.body.append(box);
    const input = box.querySelector('input');
    // read as rrweb serialises the field: takes the field out of the page
    Object.defineProperty(input, 'value', { configurable: true, get: () => (input.remove(), '') });
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    await Playhead.flush();
    return Playhead.getSessionId();
  }, sdk.origin);
  const snapshot = await waitFor('the full snapshot', () => events(sessionBatches(sid)).find((e) => e.type === EventType.FullSnapshot));
  const find = (n) => (n.attributes?.id === 'walked' ? n : (n.childNodes || []).map(find).find(Boolean));
  const walked = find(snapshot.data.node);
  assert.ok(walked, 'the element is in the snapshot');
  assert.deepEqual(walked.childNodes.map((c) => c.attributes?.id), ['remover', 'after-1', 'after-2']);
  await context.close();
});

test('an added subtree keeps every child when page code its block test runs (a patched matches) removes one', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const sid = await page.evaluate(async (endpoint) => {
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const box = document.createElement('div');
    box.id = 'added';
    box.innerHTML = '<i id="gone">a</i><i id="kept-1">b</i><i id="kept-2">c</i>';
    // asked whether it is blocked as the recorder collects the added subtree: leaves the page
    const matches = Element.prototype.matches;
    Element.prototype.matches = function (selector) {
      if (this.id === 'gone' && this.isConnected) this.remove();
      return matches.call(this, selector);
    };
    document.body.append(box);
    await new Promise((resolve) => setTimeout(resolve, 50));
    Element.prototype.matches = matches;
    await Playhead.flush();
    return Playhead.getSessionId();
  }, sdk.origin);
  const added = await waitFor('the added subtree', () => {
    const ids = events(sessionBatches(sid))
      .filter((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 0)
      .flatMap((e) => e.data.adds.map((a) => a.node.attributes?.id))
      .filter(Boolean);
    return ids.includes('added') && ids;
  });
  assert.ok(added.includes('kept-1') && added.includes('kept-2'), `every child still in the page is added: ${added.join(', ')}`);
  await context.close();
});

test('a changed style attribute is sent whole, or as the properties that changed when that is shorter', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const long = ' /* ' + 'x'.repeat(60) + ' */';
  const sid = await page.evaluate(async ([endpoint, long]) => {
    document.body.insertAdjacentHTML(
      'beforeend',
      '<b id="s-new">a</b><b id="s-new-diff">a</b><b id="s-empty" style="">a</b>' +
        '<b id="s-changed" style="color: red; width: 5px; height: 10px; margin-left: 3px; padding-top: 4px">b</b>' +
        '<b id="s-priority" style="color: red; width: 5px; height: 10px; margin-left: 3px">c</b>' +
        '<b id="s-unimportant" style="color: red !important; width: 5px; height: 10px; margin-left: 3px">c</b>' +
        '<b id="s-var" style="color: var(--c); width: 5px; height: 10px; margin-left: 3px">c</b>' +
        '<b id="s-twice">d</b><b id="s-twice-diff">d</b><b id="s-auto">e</b><video id="s-video"></video>' +
        '<svg><rect id="s-svg" style="fill: red; stroke: blue; stroke-width: 2px; opacity: 0.5"></rect></svg>',
    );
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const set = (id, style) => document.getElementById(id).setAttribute('style', style);
    set('s-new', 'color: red; width: 5px');
    // no old value, and a diff shorter than the attribute (its comment)
    set('s-new-diff', 'color: red !important; --gap: 4px;' + long);
    set('s-empty', 'color: red !important; --gap: 4px;' + long);
    set('s-changed', 'color: red; width: 6px; height: 10px; margin-left: 3px');
    set('s-priority', 'color: red !important; width: 5px; height: 10px; margin-left: 3px');
    set('s-unimportant', 'color: red; width: 5px; height: 10px; margin-left: 3px');
    set('s-var', 'color: var(--c); width: 6px; height: 10px; margin-left: 3px');
    set('s-svg', 'fill: green; stroke: blue; stroke-width: 2px; opacity: 0.5');
    // first without an old value, then with one, in the same mutation batch
    set('s-twice', 'color: red; width: 5px; height: 10px; margin-left: 3px; padding-top: 4px');
    set('s-twice', 'color: blue; height: 10px; margin-left: 3px; padding-top: 4px');
    set('s-twice-diff', 'color: red; width: 5px');
    set('s-twice-diff', 'color: blue;' + long);
    // rrweb leaves a media element's autoplay out, no other element's
    document.getElementById('s-auto').setAttribute('autoplay', '');
    document.getElementById('s-video').setAttribute('autoplay', '');
    document.getElementById('s-video').setAttribute('title', 'video title');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Playhead.flush();
    return Playhead.getSessionId();
  }, [sdk.origin, long]);
  const changed = await waitFor('the attribute changes', () => {
    const all = events(sessionBatches(sid));
    const snapshot = all.find((e) => e.type === EventType.FullSnapshot);
    if (!snapshot) return false;
    const ids = {};
    const walk = (n) => {
      if (n.attributes?.id?.startsWith('s-')) ids[n.id] = n.attributes.id;
      (n.childNodes || []).forEach(walk);
    };
    walk(snapshot.data.node);
    const out = {};
    for (const e of all)
      if (e.type === EventType.IncrementalSnapshot && e.data.source === 0)
        for (const a of e.data.attributes) if (ids[a.id]) Object.assign((out[ids[a.id]] ??= {}), a.attributes);
    return Object.keys(out).length === 12 && out;
  });
  const styles = Object.fromEntries(Object.entries(changed).filter(([, a]) => 'style' in a).map(([id, a]) => [id, a.style]));
  assert.deepEqual(styles, {
    's-new': 'color: red; width: 5px',
    's-new-diff': { color: ['red', 'important'], '--gap': '4px' },
    's-empty': { color: ['red', 'important'], '--gap': '4px' },
    's-changed': { width: '6px', 'padding-top': false },
    's-priority': { color: ['red', 'important'] },
    's-unimportant': { color: 'red' },
    's-var': { width: '6px' },
    's-svg': { fill: 'green' },
    's-twice': 'color: blue; height: 10px; margin-left: 3px; padding-top: 4px',
    's-twice-diff': { color: 'blue', width: false },
  });
  assert.deepEqual(changed['s-auto'], { autoplay: '' });
  assert.deepEqual(changed['s-video'], { title: 'video title' });
  await context.close();
});

test('a form whose controls are named like element methods and properties (matches, closest, parentElement, attributes, tagName, style, …) is recorded, and so are changes in it and of it', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const sid = await page.evaluate(async (endpoint) => {
    // a form's named controls are its properties: form.matches is the input
    document.body.insertAdjacentHTML(
      'beforeend',
      '<form id="f-form" style="color: blue; margin: 0px; padding: 0px; border-width: 0px"><p id="f-text">Find matches</p><input name="matches" value="x"><input name="closest">' +
        '<input name="parentElement"><input name="hasAttributes"><input name="getAttribute">' +
        '<select name="attributes"><option>one</option><option>two</option></select>' +
        '<input name="tagName"><select name="style"><option>slim</option></select></form>',
    );
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    document.getElementById('f-form').insertAdjacentHTML('beforeend', '<p id="f-added">added later</p>');
    document.getElementById('f-form').append('loose text');
    // and its own attributes change, in the same batch of mutations
    document.getElementById('f-form').setAttribute('data-state', 'sent');
    document.getElementById('f-form').setAttribute('style', 'color: red; margin: 0px; padding: 0px; border-width: 0px');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Playhead.flush();
    return Playhead.getSessionId();
  }, sdk.origin);
  const got = await waitFor('the form and its change', () => {
    const all = events(sessionBatches(sid));
    const snapshot = all.find((e) => e.type === EventType.FullSnapshot);
    if (!snapshot) return false;
    const texts = [];
    const walk = (n) => {
      if (n.type === 3) texts.push(n.textContent);
      (n.childNodes || []).forEach(walk);
    };
    walk(snapshot.data.node);
    const forms = [];
    const findForm = (n) => {
      if (n.tagName === 'form') forms.push(n);
      (n.childNodes || []).forEach(findForm);
    };
    findForm(snapshot.data.node);
    const added = [];
    const changed = {};
    for (const e of all) {
      if (e.type !== EventType.IncrementalSnapshot || e.data.source !== 0) continue;
      for (const a of e.data.adds) walk(a.node), added.push(a.node);
      for (const a of e.data.attributes) if (a.id === forms[0]?.id) Object.assign(changed, a.attributes);
    }
    return texts.includes('added later') && texts.includes('loose text') && { texts, added: added.length, forms: forms.map((f) => f.attributes), changed };
  });
  assert.ok(got.texts.includes('Find matches'), `the snapshot's texts: ${JSON.stringify(got.texts)}`);
  // the form's own attributes, not its control named "attributes"
  assert.deepEqual(got.forms, [{ id: 'f-form', style: 'color: blue; margin: 0px; padding: 0px; border-width: 0px' }]);
  // its attribute changes, read through the DOM's own methods and getters:
  // the style as the one property of the form's own that changed
  assert.deepEqual(got.changed, { 'data-state': 'sent', style: { color: 'red' } });
  await context.close();
});

test('a later keyframe that fails to snapshot leaves the page recorded: changes after it still arrive', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const sid = await page.evaluate(async (endpoint) => {
    const tick = () => new Promise((resolve) => setTimeout(resolve, 50));
    document.body.insertAdjacentHTML('beforeend', '<div id="k-box"><p>before</p></div>');
    Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 60000 });
    await tick();
    // the next snapshot throws on this element: rrweb's serialiser reads
    // its tag name through it
    const box = document.getElementById('k-box');
    Object.defineProperty(box, 'tagName', {
      configurable: true,
      get() {
        throw new Error('no tag name here');
      },
    });
    // back from the back/forward cache: the SDK takes a keyframe
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await tick();
    delete box.tagName;
    document.body.insertAdjacentHTML('beforeend', '<p id="k-after">after the failed keyframe</p>');
    await tick();
    await Playhead.flush();
    return Playhead.getSessionId();
  }, sdk.origin);
  const got = await waitFor('the change after the failed keyframe', () => {
    const all = events(sessionBatches(sid));
    const texts = [];
    const walk = (n) => {
      if (n.type === 3) texts.push(n.textContent);
      (n.childNodes || []).forEach(walk);
    };
    for (const e of all) if (e.type === EventType.IncrementalSnapshot && e.data.source === 0) for (const a of e.data.adds) walk(a.node);
    return texts.includes('after the failed keyframe') && { snapshots: all.filter((e) => e.type === EventType.FullSnapshot).length, metas: all.filter((e) => e.type === EventType.Meta).length };
  });
  // the keyframe was attempted (its Meta event) and failed (one snapshot only)
  assert.deepEqual(got, { snapshots: 1, metas: 2 });
  await context.close();
});

test('stop() restores patched APIs; passwords stay masked with maskAllInputs: false', { skip: browserSkip }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  await page.evaluate((endpoint) => {
    Playhead.init({ endpoint: endpoint + '/', projectKey: 'test-key', maskAllInputs: false });
  }, sdk.origin);
  const sid = await page.evaluate(() => Playhead.getSessionId());
  const patched = await page.evaluate(() => ({
    fetch: window.fetch !== originals.fetch,
    open: XMLHttpRequest.prototype.open !== originals.open,
    send: XMLHttpRequest.prototype.send !== originals.send,
    pushState: history.pushState !== originals.pushState,
    replaceState: history.replaceState !== originals.replaceState,
  }));
  assert.deepEqual(Object.values(patched), [true, true, true, true, true], 'the SDK patches fetch, XHR and history');

  // a second copy of the SDK on the page shares the running recorder
  await page.evaluate(
    (src) =>
      new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src + '?copy=2';
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      }),
    `${sdk.origin}/sdk.js`,
  );
  await page.evaluate((endpoint) => Playhead.init({ endpoint, projectKey: 'test-key' }), sdk.origin);
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), sid, 'the second copy sees the running session');
  await page.evaluate(() => console.log('logged-once-marker'));

  await page.type('#name', 'visible-name');
  await page.type('#password', 'hunter2-password');
  await page.evaluate(() => Playhead.flush());
  await page.evaluate(() => Playhead.stop());
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), undefined);
  const restored = await page.evaluate(() => ({
    fetch: window.fetch === originals.fetch,
    open: XMLHttpRequest.prototype.open === originals.open,
    send: XMLHttpRequest.prototype.send === originals.send,
    pushState: history.pushState === originals.pushState,
    replaceState: history.replaceState === originals.replaceState,
  }));
  assert.deepEqual(Object.values(restored), [true, true, true, true, true], 'stop() restores every patched API');

  const batches = sessionBatches(sid);
  assertContiguous(batches);
  const text = batches.map((b) => b.text).join('\n');
  assert.ok(text.includes('visible-name'), 'with maskAllInputs: false text inputs are recorded');
  assert.ok(!text.includes('hunter2'), 'passwords are masked regardless');
  assert.equal(
    consoleEntries(batches).filter((c) => c.payload.join(' ').includes('logged-once-marker')).length,
    1,
    'one recorder, however many copies of the SDK',
  );
  await context.close();
});

test('dist/index.d.ts types a consumer of the ES module', () => {
  const consumer = join(here, 'fixture', 'consumer.ts');
  const program = ts.createProgram([consumer], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2020,
    lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(diagnostics, []);
});
