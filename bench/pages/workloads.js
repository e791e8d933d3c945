// The mutation-heavy workloads of the overhead benchmark, run in the page by
// overhead.mjs through window.__bench. Each does its DOM work in one
// synchronous task; the recorder's MutationObserver callback runs at the end
// of that task, so `syncMs` is the work plus the recorder's share of it, up to
// the next macrotask. Long tasks are observed from the page's start.
(() => {
  const longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long task timing in this browser
  }

  const macrotask = () =>
    new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      ch.port2.postMessage(0);
    });
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Lets the page (and the recorder) finish what the work started: two frames and a pause. */
  async function settle(ms) {
    await frame();
    await frame();
    await sleep(ms);
  }

  const root = () => document.getElementById('root');
  const WORK = {
    // 1,000 times: a row with 10 children, appended one row at a time
    insert() {
      const r = root();
      for (let i = 0; i < 1000; i++) {
        const row = document.createElement('div');
        row.className = 'row';
        for (let j = 0; j < 10; j++) {
          const c = document.createElement(j % 2 ? 'span' : 'em');
          c.textContent = `cell ${i}.${j}`;
          row.appendChild(c);
        }
        r.appendChild(row);
      }
    },
    // 5 chains, 1,000 levels deep, every level with a text node (10,000 nodes)
    deep() {
      const r = root();
      for (let k = 0; k < 5; k++) {
        const top = document.createElement('div');
        let cur = top;
        for (let d = 0; d < 1000; d++) {
          const el = document.createElement('div');
          el.appendChild(document.createTextNode(`level ${d}`));
          cur.appendChild(el);
          cur = el;
        }
        r.appendChild(top);
      }
    },
    // 10,000 attribute changes: five attributes on each of 2,000 existing elements
    attrs() {
      const els = document.querySelectorAll('#attrs > i');
      for (let i = 0; i < els.length; i++) {
        const el = els[i];
        el.setAttribute('data-v', String(i * 7));
        el.setAttribute('title', `item ${i}`);
        el.className = i % 3 ? 'on' : 'off';
        el.setAttribute('style', `width: ${i % 100}px; color: rgb(${i % 255}, 0, 0)`);
        el.setAttribute('aria-label', `label ${i}`);
      }
    },
    // moving 10,000 existing nodes to another parent, in reverse order
    move() {
      const from = document.getElementById('from');
      const to = document.getElementById('to');
      while (from.lastChild) to.appendChild(from.lastChild);
    },
    // a text-input burst: 4 fields, 500 keystrokes each (value set + input event)
    input() {
      const fields = document.querySelectorAll('#form input, #form textarea');
      for (let i = 0; i < 500; i++) {
        for (const f of fields) {
          f.value += String.fromCharCode(97 + (i % 26));
          f.dispatchEvent(new Event('input', { bubbles: true }));
        }
      }
    },
  };

  window.__bench = {
    longTasks,
    settle,
    async run(name) {
      await settle(50);
      const t0 = performance.now();
      WORK[name]();
      await macrotask();
      const syncMs = performance.now() - t0;
      await settle(250);
      const lt = longTasks.filter((e) => e.start >= t0 - 1);
      return { syncMs, longTaskMs: lt.reduce((n, e) => n + e.duration, 0), longestTask: lt.reduce((n, e) => Math.max(n, e.duration), 0) };
    },
  };
})();
