// Real-browser tests of what leaves the browser: masking by default, the
// strict preset, consent and opt-out, Do Not Track, debug output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventType, browserSkip, consoleEntries, customs, events, sessionBatches, startHarness, waitFor } from './harness.mjs';

let harness;
let ingest;
let pages;
let sdk;

before(async () => {
  harness = await startHarness();
  ({ ingest, pages, sdk } = harness);
});

after(() => harness?.close());

const init = (page, options = {}) =>
  page.evaluate(
    ([endpoint, opts]) => Playhead.init({ endpoint, projectKey: 'test-key', flushIntervalMs: 200, ...opts }),
    [sdk.origin, options],
  );

/** Every personal or secret value the PII page holds or produces. */
const SECRETS = [
  // page text and the title
  'title-person@example.com', 'ada.lovelace@example.com', '4111 1111 1111 1111', '4111111111111111', '123-45-6789',
  '+44 20 7946 0958', 'DE89 3704', '203.0.113.195', '4012888888881881',
  // attributes and URLs
  'placeholder-person@example.org', '(415) 555-2671', 'GB82 WEST', 'prefilled-value-secret', '078-05-1120',
  'img-token-secret', 'img-owner@example.com', 'link-person@example.com', 'link-token-secret', 'mailto-person@example.com',
  'form-action-secret', 'page-token-secret',
  // masked subtrees, blocked elements, input values
  'private-subtree-secret', 'option-masked-secret', 'blocked-subtree-secret', 'editable-default-secret', 'editable-typed-secret',
  'textarea-default-secret', 'free-typed-secret', 'hunter2-typed-secret', '6011 1111 1111 1117',
  '6011111111111117', 'unmasked-password-secret', '5555 5555 5555 4444',
  // mutations
  'mutation-person@example.com', '219-09-9999', '+1 415 555 2671', 'mut-sig-secret', '10.20.30.40',
  // console, errors
  'console-person@example.com', 'console-password-secret', '3782 822463 10005', '536-90-4399', 'NL91ABNA0417164300',
  // navigation and network
  'nav-session-secret', 'nav-code-secret', 'query-key-secret', 'auth-header-secret', 'header-person@example.com',
  'body-person@example.com', 'body-password-secret', 'body-api-key-secret', 'resp@example.com', 'resp-token-secret',
  'resp-header@example.com', 'cookie-secret', '192.168.1.23', 'xhr-password-secret', 'xhr-person', 'xhr-header-secret',
  'not-allowed-body-secret',
];

/** Does what the PII page's visitor would: types, changes the page, logs, fails, navigates, fetches. */
async function exercise(page) {
  await page.fill('#free', 'free-typed-secret');
  await page.type('#password', 'hunter2-typed-secret');
  await page.type('#cc', '6011 1111 1111 1117');
  await page.type('#unmasked', 'unmasked-visible-text 5555 5555 5555 4444');
  await page.type('#unmasked-password', 'unmasked-password-secret');
  await page.selectOption('#country', 'select-value-secret');
  await page.click('#editable');
  await page.keyboard.type(' editable-typed-secret');
  await page.evaluate(() => {
    const li = document.createElement('li');
    li.textContent = 'Added: mutation-person@example.com and 219-09-9999';
    document.getElementById('list').appendChild(li);
    document.getElementById('heading').setAttribute('title', 'Call +1 415 555 2671');
    document.getElementById('photo').setAttribute('src', '/photo2.png?sig=mut-sig-secret');
    document.getElementById('plain').firstChild.data = 'Now shipping from 10.20.30.40';
    console.log('user', { email: 'console-person@example.com', password: 'console-password-secret' });
    console.error('charge failed for card 3782 822463 10005');
    console.warn(document.getElementById('email'));
    setTimeout(() => {
      throw new Error('lookup failed for 536-90-4399');
    }, 0);
    Promise.reject(new Error('iban NL91ABNA0417164300 rejected'));
    history.pushState({}, '', '/pii/next?session=nav-session-secret&code=nav-code-secret&tab=2');
  });
  await page.evaluate(async () => {
    await fetch('/api/echo?key=query-key-secret&x=1', {
      method: 'POST',
      headers: { Authorization: 'Bearer auth-header-secret', 'X-Custom': 'header-person@example.com', 'Content-Type': 'application/json' },
      body: JSON.stringify({
        email: 'body-person@example.com',
        password: 'body-password-secret',
        card: '4111 1111 1111 1111',
        note: 'call +1 415 555 2671',
        api_key: 'body-api-key-secret',
        item: 'coffee',
      }),
    }).then((r) => r.json());
    await new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/echo/xhr');
      xhr.setRequestHeader('X-Token', 'xhr-header-secret');
      xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
      xhr.onloadend = resolve;
      xhr.send('user=ada&password=xhr-password-secret&mail=xhr-person%40example.com');
    });
    await fetch('/api/ok', { method: 'POST', body: 'not-allowed-body-secret' });
  });
}

test('default privacy: nothing personal or secret leaves the browser', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/pii?token=page-token-secret&view=1`);
  await init(page, {
    maskSelector: '.masked-by-option',
    networkCapture: { allowUrls: ['/api/echo'], headers: true, bodies: true },
  });
  const sid = await page.evaluate(() => Playhead.getSessionId());
  await exercise(page);
  await page.evaluate(() => Playhead.flush());
  const batches = await waitFor('errors and requests', () => {
    const found = sessionBatches(ingest, sid);
    return customs(found, 'playhead.error').length >= 2 && customs(found, 'playhead.network').length >= 3 ? found : undefined;
  });
  // one more round: whatever the page does on its way out goes too
  await page.goto(`${pages.origin}/manual`);
  await context.close();

  for (const body of ingest.bodies) {
    for (const secret of SECRETS) assert.ok(!body.includes(secret), `a request body leaks "${secret}"`);
  }
  const text = batches.map((b) => b.text).join('\n');
  // what is not personal is kept
  for (const kept of ['Order #12345 costs $1,234.50', 'Welcome back, ', 'Visible text in an unmasked area', 'unmasked-visible-text', 'view=1', 'page=2', 'step=2']) {
    assert.ok(text.includes(kept), `"${kept}" is recorded`);
  }
  assert.ok(!text.includes('a comment with'), 'comments are not recorded');

  const all = events(batches);
  const snapshot = all.find((e) => e.type === EventType.FullSnapshot).data.node;
  const byId = new Map();
  const blocked = [];
  const walk = (node) => {
    if (node.attributes?.id) byId.set(node.attributes.id, node);
    if (node.attributes?.rr_width) blocked.push(node);
    (node.childNodes ?? []).forEach(walk);
  };
  walk(snapshot);
  // a blocked element keeps only its class and size
  assert.deepEqual(blocked.map((n) => [n.tagName, n.attributes.rr_width, n.childNodes]), [['div', '120px', []]]);
  assert.match(byId.get('photo').attributes.src, /token=\[redacted\]&owner=\*+$/);
  assert.match(byId.get('profile').attributes.href, /email=\*+&access_token=\[redacted\]&page=2$/);
  assert.match(byId.get('email').attributes.placeholder, /^\*+$/);
  assert.equal(byId.get('email').attributes.value, '*'.repeat('prefilled-value-secret'.length), 'input values are masked by default');
  assert.match(all.find((e) => e.type === EventType.Meta).data.href, /\/pii\?token=\[redacted\]&view=1$/);

  const inputs = all.filter((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 5).map((e) => e.data.text);
  assert.ok(inputs.includes('unmasked-visible-text *******************'), 'data-unmask lifts input masking, not PII masking');
  // the options of a select are page content; which one was chosen is not
  assert.ok(inputs.includes('*'.repeat('select-value-secret'.length)) && !inputs.includes('select-value-secret'));

  const navigation = customs(batches, 'playhead.navigation');
  assert.match(navigation[0].url, /\/pii\/next\?session=\[redacted\]&code=\[redacted\]&tab=2$/);

  const logs = consoleEntries(batches);
  const logged = logs.find((c) => c.payload[0] === '"user"');
  assert.deepEqual(JSON.parse(logged.payload[1]), { email: '*'.repeat(26), password: '[redacted]' });
  assert.equal(logs.find((c) => c.level === 'warn').payload[0], '"<input#email>"', 'DOM nodes are named, not serialised');
  const errors = customs(batches, 'playhead.error');
  assert.ok(errors.some((e) => e.message === 'Error: lookup failed for ***********' || e.message === 'Uncaught Error: lookup failed for ***********'));
  assert.ok(errors.every((e) => !e.source || e.source.includes('token=[redacted]')));

  const requests = customs(batches, 'playhead.network');
  const echo = requests.find((r) => r.type === 'fetch' && r.url.includes('/api/echo'));
  assert.match(echo.url, /\/api\/echo\?key=\[redacted\]&x=1$/);
  assert.equal(echo.requestHeaders.authorization, undefined, 'Authorization is never recorded');
  assert.equal(echo.requestHeaders['content-type'], 'application/json');
  assert.match(echo.requestHeaders['x-custom'], /^\*+$/);
  assert.deepEqual(JSON.parse(echo.requestBody), {
    email: '*'.repeat(23),
    password: '[redacted]',
    card: '[redacted]',
    note: 'call ***************',
    api_key: '[redacted]',
    item: 'coffee',
  });
  assert.equal(echo.responseHeaders['set-cookie'], undefined);
  assert.match(echo.responseHeaders['x-echo'], /^\*+$/);
  const response = JSON.parse(echo.responseBody);
  assert.equal(response.token, '[redacted]');
  assert.equal(response.from, '************');
  const xhr = requests.find((r) => r.type === 'xhr');
  assert.equal(xhr.requestHeaders['x-token'], '[redacted]');
  assert.equal(xhr.requestBody, 'user=ada&password=[redacted]&mail=' + '*'.repeat(22));
  assert.ok(xhr.responseBody.includes('"token":"[redacted]"'));
  const notAllowed = requests.find((r) => r.url.endsWith('/api/ok'));
  assert.deepEqual(
    Object.keys(notAllowed).filter((k) => /Headers|Body/.test(k)),
    [],
    'no headers or bodies for URLs not allowed',
  );
});

/** Text nodes of a serialised node tree, with their parent's tag. */
function textNodes(node, parent, out = []) {
  if (node.type === 3) out.push([parent, node.textContent]);
  for (const child of node.childNodes ?? []) textNodes(child, node.tagName, out);
  return out;
}

test("privacy: 'strict' sends no page text at all and blocks media", { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/pii`);
  await init(page, { privacy: 'strict' });
  const sid = await page.evaluate(() => Playhead.getSessionId());
  await page.type('#free', 'strict typed words');
  await page.type('#unmasked', 'strict unmasked words');
  await page.evaluate(() => {
    const li = document.createElement('li');
    li.textContent = 'strict added words';
    document.getElementById('list').appendChild(li);
    document.getElementById('plain').firstChild.data = 'strict changed words';
    document.getElementById('heading').setAttribute('title', 'strict title words');
  });
  await page.evaluate(() => Playhead.flush());
  const batches = await waitFor('the mutations', () => {
    const found = sessionBatches(ingest, sid);
    return events(found).some((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 0 && e.data.texts?.length) ? found : undefined;
  });
  await context.close();

  const maskedOnly = /^[\s*]*$/;
  const all = events(batches);
  const texts = [];
  let attributes = 0;
  const checkAttributes = (attrs) => {
    for (const name of ['placeholder', 'title', 'alt', 'aria-label', 'value']) {
      if (typeof attrs?.[name] === 'string') {
        attributes++;
        assert.match(attrs[name], maskedOnly, `attribute ${name}="${attrs[name]}" is masked`);
      }
    }
  };
  const walkAttributes = (node) => {
    checkAttributes(node.attributes);
    (node.childNodes ?? []).forEach(walkAttributes);
  };
  for (const e of all) {
    if (e.type === EventType.FullSnapshot) {
      texts.push(...textNodes(e.data.node));
      walkAttributes(e.data.node);
      const img = [];
      const find = (n) => (n.tagName === 'img' ? img.push(n) : (n.childNodes ?? []).forEach(find));
      find(e.data.node);
      assert.ok(img.length && img.every((n) => n.attributes.src === undefined && n.attributes.rr_width), 'images are blocked');
    } else if (e.type === EventType.IncrementalSnapshot && e.data.source === 0) {
      for (const add of e.data.adds) {
        texts.push(...textNodes(add.node));
        walkAttributes(add.node);
      }
      for (const t of e.data.texts) texts.push(['(changed)', t.value]);
      for (const a of e.data.attributes) checkAttributes(a.attributes);
    } else if (e.type === EventType.IncrementalSnapshot && e.data.source === 5) {
      texts.push(['(input)', e.data.text]);
    }
  }
  assert.ok(texts.length > 10 && attributes > 3);
  for (const [parent, text] of texts) {
    if (parent === 'style') continue; // CSS, not page text
    assert.match(text, maskedOnly, `text under <${parent}> is masked: ${JSON.stringify(text)}`);
  }
  assert.ok(texts.some(([, t]) => t.includes('******')), 'text is there, as asterisks');
});

test('privacy: the nearer of mask and unmask wins at any depth, and decisions follow the page as it changes', { skip: browserSkip }, async () => {
  harness.addPage(
    '/masking',
    `<!doctype html><html><head><meta charset="utf-8"><title>masking</title></head><body>
    <div id="zone"><p id="before">zone-visible-before</p><input id="field" type="text"></div>
    <div data-private><p>outer-masked-secret</p><div data-unmask><p>inner-unmasked-visible</p><div data-mask><p>innermost-masked-secret</p></div></div></div>
    <div class="opt-mask"><p>option-masked-secret</p><span class="opt-unmask">option-unmask-visible</span></div>
    <div class="rr-block" id="class-blocked"><p>class-blocked-secret</p></div>
    <div data-block><p>attribute-blocked-secret</p><input id="blocked-field"></div>
    <script src="{{SDK_URL}}"></script></body></html>`,
  );
  // with selectors of the page's own, and with Playhead's attributes only (which take a shortcut)
  for (const selectors of [true, false]) {
    const context = await harness.newContext();
    const page = await context.newPage();
    await page.goto(`${pages.origin}/masking`);
    // relaxed: input values are recorded unless something masks them
    await init(page, { privacy: 'relaxed', ...(selectors ? { maskSelector: '.opt-mask', unmaskSelector: '.opt-unmask', blockSelector: '#zone-blocked' } : {}) });
    const sid = await page.evaluate(() => Playhead.getSessionId());
    // all in one task: what was decided before the zone turned private must not hold after
    await page.evaluate(() => {
      const zone = document.getElementById('zone');
      const field = document.getElementById('field');
      field.value = 'typed-before-visible';
      field.dispatchEvent(new Event('input', { bubbles: true }));
      zone.setAttribute('data-private', '');
      field.value = 'typed-after-secret';
      field.dispatchEvent(new Event('input', { bubbles: true }));
      const p = document.createElement('p');
      p.title = 'title-after-secret';
      p.textContent = 'added-after-secret';
      zone.appendChild(p);
      document.getElementById('before').firstChild.data = 'changed-after-secret';
      // blocked elements: by class, by attribute, by blockSelector; nothing inside them, typed or added, is recorded
      document.getElementById('class-blocked').append('class-added-secret');
      const blockedField = document.getElementById('blocked-field');
      blockedField.value = 'blocked-typed-secret';
      blockedField.dispatchEvent(new Event('input', { bubbles: true }));
      const blocked = document.createElement('div');
      blocked.id = 'zone-blocked';
      blocked.setAttribute('data-unmask', '');
      blocked.textContent = 'selector-blocked-text';
      document.body.appendChild(blocked);
    });
    // chains 1,000 levels deep, appended at once: under a mask, and under an unmask inside a mask
    await page.evaluate(() => {
      const chain = (top, word) => {
        let at = top;
        for (let i = 0; i < 1000; i++) {
          const div = document.createElement('div');
          div.appendChild(document.createTextNode(`deep-${word}-${i}.`));
          at.appendChild(div);
          at = div;
        }
        return top;
      };
      const masked = document.createElement('section');
      masked.setAttribute('data-private', '');
      const unmasked = document.createElement('section');
      unmasked.setAttribute('data-private', '');
      const lifted = document.createElement('div');
      lifted.setAttribute('data-unmask', '');
      unmasked.appendChild(lifted);
      chain(lifted, 'visible');
      document.body.append(chain(masked, 'secret'), unmasked);
    });
    await page.waitForTimeout(50);
    // and back: the zone is no longer private
    await page.evaluate(() => {
      const zone = document.getElementById('zone');
      zone.removeAttribute('data-private');
      const p = document.createElement('p');
      p.textContent = 'zone-visible-again';
      zone.appendChild(p);
    });
    await page.evaluate(() => Playhead.flush());
    await context.close();

    const text = sessionBatches(ingest, sid)
      .map((b) => b.text)
      .join('\n');
    const secrets = ['outer-masked-secret', 'innermost-masked-secret', 'typed-after-secret', 'added-after-secret', 'title-after-secret', 'changed-after-secret', 'deep-secret-',
      'class-blocked-secret', 'class-added-secret', 'attribute-blocked-secret', 'blocked-typed-secret'];
    const kept = ['zone-visible-before', 'inner-unmasked-visible', 'typed-before-visible', 'deep-visible-0.', 'deep-visible-999.', 'zone-visible-again'];
    if (selectors) {
      secrets.push('option-masked-secret', 'selector-blocked-text');
      kept.push('option-unmask-visible');
    } else {
      kept.push('option-masked-secret', 'option-unmask-visible', 'selector-blocked-text');
    }
    for (const secret of secrets) assert.ok(!text.includes(secret), `"${secret}" is masked (selectors: ${selectors})`);
    for (const visible of kept) assert.ok(text.includes(visible), `"${visible}" is recorded (selectors: ${selectors})`);
  }
});

test('privacy: text in an editable region is masked as input is, by its nearest contenteditable, in the snapshot and in added nodes; srcdoc is masked whole', { skip: browserSkip }, async () => {
  // the text around an editable region is the page's own: the region decides for what is inside it only
  const region = (word) =>
    `<div><div contenteditable="true"><span>${word}-edit-secret</span>` +
    `<p contenteditable="false"><b>${word}-fixed-visible</b><i contenteditable="">${word}-reopened-secret</i></p>` +
    `<section><em>${word}-deep-secret</em></section></div><p>${word}-after-visible</p></div>` +
    `<div contenteditable="FALSE"><span>${word}-false-visible</span></div>`;
  harness.addPage(
    '/editable',
    `<!doctype html><html><head><meta charset="utf-8"><title>editable</title></head><body>
    <main>${region('snap')}</main><aside id="added"></aside><iframe id="doc"></iframe>
    <iframe srcdoc="<p>Write to srcdoc-person@example.com</p><p data-private>srcdoc-masked-secret</p>"></iframe>
    <script src="{{SDK_URL}}"></script></body></html>`,
  );
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/editable`);
  // a whole document in design mode is editable too
  await page.evaluate(() => {
    const doc = document.getElementById('doc').contentDocument;
    doc.body.innerHTML = '<p>design-mode-secret</p>';
    doc.designMode = 'on';
  });
  await init(page);
  const sid = await page.evaluate(() => Playhead.getSessionId());
  await page.evaluate((html) => (document.getElementById('added').innerHTML = html), region('added'));
  await page.waitForTimeout(50);
  await page.evaluate(() => Playhead.flush());
  await context.close();
  const text = sessionBatches(ingest, sid)
    .map((b) => b.text)
    .join('\n');
  for (const word of ['snap', 'added']) {
    for (const secret of ['edit', 'reopened', 'deep']) assert.ok(!text.includes(`${word}-${secret}-secret`), `"${word}-${secret}-secret" is masked`);
    for (const visible of ['fixed', 'after', 'false']) assert.ok(text.includes(`${word}-${visible}-visible`), `"${word}-${visible}-visible" is recorded`);
  }
  assert.ok(!text.includes('design-mode-secret'), 'the text of a document in design mode is masked');
  // an iframe's srcdoc holds its document's text, which is recorded besides, by its own nodes' rules
  for (const secret of ['srcdoc-person@', 'srcdoc-masked-secret']) assert.ok(!text.includes(secret), `"${secret}" in srcdoc is masked`);
  assert.ok(text.includes('Write to '), "the srcdoc document's own text is recorded");
});

test("privacy: 'relaxed' records input values, except passwords and card fields, and still masks PII", { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/pii`);
  await init(page, { privacy: 'relaxed' });
  const sid = await page.evaluate(() => Playhead.getSessionId());
  await page.type('#free', 'relaxed words 4111 1111 1111 1111');
  await page.type('#password', 'relaxed-password-secret');
  await page.type('#cc', '4012 8888 8888 1881');
  await page.evaluate(() => Playhead.flush());
  await context.close();
  const batches = sessionBatches(ingest, sid);
  const text = batches.map((b) => b.text).join('\n');
  const inputs = events(batches).filter((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 5).map((e) => e.data.text);
  assert.ok(inputs.includes('relaxed words *******************'));
  assert.ok(inputs.includes('*'.repeat('relaxed-password-secret'.length)));
  assert.ok(inputs.includes('*'.repeat('4012 8888 8888 1881'.length)));
  assert.ok(text.includes('prefilled-value-secret') && text.includes('editable-default-secret'), 'input and contenteditable values are recorded');
  for (const secret of ['relaxed-password', '4012 8888', 'ada.lovelace@example.com', '123-45-6789']) assert.ok(!text.includes(secret), secret);
});

test('requireConsent records nothing until consent(); optOut() stops, forgets and is remembered', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const attempts = ingest.attempts.length;
  await init(page, { requireConsent: true });
  await page.evaluate(() => console.log('before-consent-marker'));
  await page.waitForTimeout(600);
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), undefined);
  assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), [], 'nothing stored before consent');
  assert.equal(ingest.attempts.length, attempts, 'nothing sent before consent');

  await page.evaluate(() => Playhead.consent());
  const sid = await page.evaluate(() => Playhead.getSessionId());
  assert.match(sid, /^[0-9a-f]{32}$/);
  await page.evaluate(() => Playhead.flush());
  assert.ok(sessionBatches(ingest, sid).length >= 1, 'recording after consent');
  assert.ok(!ingest.bodies.some((b) => b.includes('before-consent-marker')), 'what happened before consent is not recorded');

  // queued but unsent when the user opts out: never sent
  ingest.respond = () => 'destroy';
  await page.evaluate(() => console.log('queued-before-opt-out'));
  page.evaluate(() => Playhead.flush()).catch(() => {});
  await waitFor('a failed attempt', () => ingest.attempts.some((a) => a.sid === sid && a.answer === 'destroy'));
  await page.evaluate(() => Playhead.optOut());
  ingest.respond = undefined;
  const afterOptOut = ingest.attempts.length;
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), undefined);
  assert.equal(await page.evaluate(() => localStorage.getItem('playhead.optout')), '1');
  assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('playhead.'))), []);
  await page.evaluate(() => document.body.append('after opt-out'));
  await page.waitForTimeout(1200);
  assert.equal(ingest.attempts.length, afterOptOut, 'nothing is sent after opting out');
  assert.ok(!sessionBatches(ingest, sid).some((b) => b.text.includes('queued-before-opt-out')));

  // a later page remembers the opt-out until consent()
  await page.goto(`${pages.origin}/manual`);
  await init(page);
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), undefined, 'opted out: init records nothing');
  await page.waitForTimeout(400);
  assert.equal(ingest.attempts.length, afterOptOut);
  await page.evaluate(() => Playhead.consent());
  const again = await page.evaluate(() => Playhead.getSessionId());
  assert.ok(again && again !== sid, 'consent() starts a new session');
  assert.equal(await page.evaluate(() => localStorage.getItem('playhead.optout')), null);
  await page.evaluate(() => Playhead.flush());
  assert.ok(sessionBatches(ingest, again).length >= 1);
  await context.close();
});

test('respectDoNotTrack: Global Privacy Control means no recording at all', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  const page = await context.newPage();
  await page.goto(`${pages.origin}/manual`);
  const attempts = ingest.attempts.length;
  await init(page, { respectDoNotTrack: true });
  await page.evaluate(() => Playhead.consent());
  assert.equal(await page.evaluate(() => Playhead.getSessionId()), undefined);
  await page.waitForTimeout(400);
  assert.equal(ingest.attempts.length, attempts);
  // without the option the signal is not consulted
  await page.goto(`${pages.origin}/manual`);
  await init(page);
  assert.ok(await page.evaluate(() => Playhead.getSessionId()));
  await context.close();
});

test('debug mode (?playhead_debug=1) prints every batch, decoded, without recording it', { skip: browserSkip }, async () => {
  const context = await harness.newContext();
  const page = await context.newPage();
  const printed = [];
  page.on('console', (message) => {
    if (message.type() === 'debug' && message.text().startsWith('[playhead] batch')) printed.push(message.args()[1].jsonValue());
  });
  await page.goto(`${pages.origin}/manual?playhead_debug=1`);
  await init(page);
  const sid = await page.evaluate(() => Playhead.getSessionId());
  await page.evaluate(() => console.log('debug-mode-marker'));
  await page.evaluate(() => Playhead.flush());
  const batches = await Promise.all(printed);
  assert.ok(batches.length >= 1, 'batches are printed');
  assert.deepEqual(
    batches.map((b) => b.seq),
    sessionBatches(ingest, sid).map((b) => b.batch.seq),
    'each batch sent is printed once',
  );
  assert.equal(batches[0].sid, sid);
  assert.ok(batches.some((b) => JSON.stringify(b.events).includes('debug-mode-marker')));
  assert.ok(
    !consoleEntries(sessionBatches(ingest, sid)).some((c) => c.payload.join(' ').includes('[playhead]')),
    'the debug output is not recorded',
  );
  await context.close();
});

test('inputs: each change of a value or a check is recorded once, however often the page reports it', { skip: browserSkip }, async () => {
  harness.addPage(
    '/inputs',
    `<!doctype html><html><head><meta charset="utf-8"><title>inputs</title></head><body>
    <input id="text" type="text"><input id="box" type="checkbox"><input id="r1" type="radio" name="r" value="1"><input id="r2" type="radio" name="r" value="2">
    <script src="{{SDK_URL}}"></script></body></html>`,
  );
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/inputs`);
  await init(page, { privacy: 'relaxed' });
  const sid = await page.evaluate(() => Playhead.getSessionId());
  const timers = await page.evaluate(async () => {
    const text = document.getElementById('text');
    const fire = (el) => el.dispatchEvent(new Event('input', { bubbles: true }));
    // a value set and announced: the setter and the event both report it
    for (const v of ['a', 'ab', 'ab', 'a', 'ab']) {
      text.value = v;
      fire(text);
    }
    // the same value again and again, between two frames
    fire(text);
    fire(text);
    await new Promise((r) => setTimeout(r, 20));
    // values a script sets without an event, heard through the patched
    // setter once the script's task is over: what the field then holds
    text.value = 'set';
    text.value = 'set twice';
    await new Promise((r) => setTimeout(r, 20));
    text.value = 'set again';
    await new Promise((r) => setTimeout(r, 20));
    // a loop of sets makes no task per set, and a page that clears every
    // timer it can find loses none of them
    const setTimeout0 = window.setTimeout;
    let timers = 0;
    window.setTimeout = (...args) => (timers++, setTimeout0(...args));
    for (let k = 0; k < 100; k++) text.value = `loop ${k}`;
    window.setTimeout = setTimeout0;
    for (let id = setTimeout(() => {}); id > 0; id--) clearTimeout(id);
    await new Promise((r) => setTimeout(r, 20));
    text.value = 'after the timers went';
    await new Promise((r) => setTimeout(r, 20));
    const box = document.getElementById('box');
    box.click();
    box.click();
    box.click();
    document.getElementById('r1').click();
    document.getElementById('r2').click();
    document.getElementById('r1').click();
    await new Promise((r) => setTimeout(r, 20));
    // a field given its value before it is added, as a framework mounts a
    // prefilled one: its value is heard once the field has its id
    const fresh = document.createElement('input');
    fresh.value = 'prefilled';
    document.body.append(fresh);
    await new Promise((r) => setTimeout(r, 20));
    return timers;
  });
  assert.ok(timers < 5, `100 values set in a loop scheduled ${timers} timers`);
  await page.evaluate(() => Playhead.flush());
  await context.close();
  const inputs = events(sessionBatches(ingest, sid)).filter((e) => e.type === EventType.IncrementalSnapshot && e.data.source === 5);
  const byId = new Map();
  for (const e of inputs) byId.set(e.data.id, [...(byId.get(e.data.id) ?? []), e.data.isChecked ? `${e.data.text}:on` : e.data.text]);
  const got = [...byId.values()];
  assert.deepEqual(got[0], ['a', 'ab', 'a', 'ab', 'set twice', 'set again', 'loop 99', 'after the timers went'], 'text field: every change, no repeats');
  assert.deepEqual(got[1], ['on:on', 'on', 'on:on'], 'checkbox: every click (its value stays "on")');
  assert.deepEqual(got[2], ['1:on', '1', '1:on'], 'radio 1: checked, unchecked by 2, checked');
  assert.deepEqual(got[3], ['2', '2:on', '2'], 'radio 2: as its group changes');
  assert.ok(inputs.every((e) => e.data.id > 0), `every input event names its field: ${JSON.stringify(inputs.filter((e) => !(e.data.id > 0)))}`);
  assert.deepEqual(got[4], ['prefilled'], 'a field prefilled before it was added');
});

test('an element the page froze is masked as any other, and recording starts', { skip: browserSkip }, async () => {
  harness.addPage(
    '/frozen',
    `<!doctype html><html><head><meta charset="utf-8"><title>frozen</title></head><body>
    <div data-private><p id="frozen" title="frozen-title-secret">frozen-text-secret</p></div>
    <script>Object.freeze(document.getElementById('frozen')); Object.preventExtensions(document.body);</script>
    <script src="{{SDK_URL}}"></script></body></html>`,
  );
  const context = await harness.newContext();
  const page = await context.newPage();
  await page.goto(`${pages.origin}/frozen`);
  await init(page);
  const sid = await page.evaluate(() => Playhead.getSessionId());
  await page.evaluate(() => {
    const p = document.createElement('p');
    p.textContent = 'added-under-frozen';
    document.body.appendChild(p);
  });
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  await page.evaluate(() => Playhead.flush());
  await context.close();
  const batches = sessionBatches(ingest, sid);
  assert.ok(events(batches).some((e) => e.type === EventType.FullSnapshot), 'the snapshot was taken');
  const text = batches.map((b) => b.text).join('\n');
  assert.ok(text.includes('added-under-frozen'), 'a node added under a frozen element is recorded');
  for (const secret of ['frozen-text-secret', 'frozen-title-secret']) assert.ok(!text.includes(secret), `"${secret}" leaks`);
});
