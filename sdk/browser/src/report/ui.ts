/**
 * The bug report widget: an optional floating "Report a problem" button and
 * a modal dialog where the user writes what went wrong and, optionally, an
 * email address. Built apart from the recording bundle (see build.mjs) and
 * loaded the first time it is needed.
 *
 * - Isolated: everything lives in the shadow root of one host element whose
 *   styles reset what the page would pass down; the page's CSS cannot reach in.
 * - Never recorded: the host carries rrweb's block class (recorded as an empty
 *   0×0 box, nothing inside) and the fields its ignore class.
 * - No layout shift: the host is fixed and takes no room; the dialog is a
 *   modal <dialog> in the top layer.
 * - Accessible: a labelled modal dialog (role="dialog", aria-modal) whose
 *   fields have labels; focus moves into it, Tab cycles inside it, Escape
 *   closes it, and focus returns where it was; results are announced.
 */
import { maskFreeText, redactUrl } from '../lib/privacy/secrets';
import { truncate } from '../lib/text';
import type { ReportHost } from './contract';

/** Characters of report text sent at most. */
export const MAX_TEXT = 5000;

const STYLE = `
:host { all: initial; }
* { box-sizing: border-box; }
.fab, dialog, button, textarea, input {
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.fab {
  position: fixed; right: 16px; bottom: 16px; margin: 0;
  padding: 10px 14px; border: 0; border-radius: 999px; cursor: pointer;
  background: #1f2937; color: #fff; box-shadow: 0 2px 8px rgba(0, 0, 0, .25);
}
dialog {
  width: min(30rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); overflow: auto;
  padding: 20px; border: 0; border-radius: 10px;
  background: #fff; color: #111827; box-shadow: 0 10px 40px rgba(0, 0, 0, .3);
}
dialog::backdrop { background: rgba(17, 24, 39, .45); }
h2 { margin: 0 0 4px; font-size: 18px; }
p { margin: 0 0 12px; }
.hint { color: #4b5563; font-size: 13px; }
label { display: block; margin: 12px 0 4px; font-weight: 600; }
textarea, input {
  display: block; width: 100%; margin: 0; padding: 8px 10px;
  border: 1px solid #9ca3af; border-radius: 6px; background: #fff; color: inherit;
}
textarea { min-height: 7rem; resize: vertical; }
[aria-invalid="true"] { border-color: #b91c1c; }
.status:empty { display: none; }
.status { margin: 12px 0 0; color: #b91c1c; }
.actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
button { padding: 8px 14px; border-radius: 6px; border: 1px solid #9ca3af; background: #fff; color: #111827; cursor: pointer; }
button.primary { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
@media (prefers-color-scheme: dark) {
  dialog, textarea, input, button { background: #111827; color: #f9fafb; border-color: #4b5563; }
  .hint { color: #9ca3af; }
  .status { color: #fca5a5; }
}
`;

let hostEl: HTMLElement | undefined;
let root: ShadowRoot | undefined;

/** The widget's shadow root, creating its host the first time (or after unmount). */
function shadow(): ShadowRoot {
  if (!hostEl || !root || !hostEl.isConnected) {
    hostEl?.remove();
    hostEl = document.createElement('div');
    hostEl.setAttribute('data-playhead-report', '');
    // rr-block: recorded as an empty box; rr-ignore: no input events
    hostEl.className = 'rr-block rr-ignore';
    hostEl.style.cssText =
      'position:fixed!important;top:0!important;left:0!important;width:0!important;height:0!important;' +
      'margin:0!important;padding:0!important;border:0!important;display:block!important;z-index:2147483647!important';
    root = hostEl.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    root.appendChild(style);
    (document.body || document.documentElement).appendChild(hostEl);
  }
  return root;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const name in attributes) el.setAttribute(name, attributes[name]!);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The element focus belongs to, looking into shadow roots. */
function focused(): Element | null {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el;
}

/** Opens the report dialog; does nothing when it is open already. */
export function open(host: ReportHost): void {
  const shadowRoot = shadow();
  if (shadowRoot.querySelector('dialog[open]')) return;
  shadowRoot.querySelector('dialog')?.remove();
  const opener = focused();

  const dialog = element('dialog', {
    role: 'dialog',
    'aria-modal': 'true',
    'aria-labelledby': 'ph-title',
    'aria-describedby': 'ph-intro',
  });
  const form = element('form', { novalidate: '' });
  const text = element('textarea', { id: 'ph-text', class: 'rr-ignore', required: '', maxlength: String(MAX_TEXT), 'aria-describedby': 'ph-status' });
  const email = element('input', {
    id: 'ph-email',
    class: 'rr-ignore',
    type: 'email',
    autocomplete: 'email',
    'aria-describedby': 'ph-email-hint ph-status',
  });
  const status = element('p', { id: 'ph-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const cancel = element('button', { type: 'button' }, 'Cancel');
  const send = element('button', { type: 'submit', class: 'primary' }, 'Send report');
  const actions = element('div', { class: 'actions' });
  actions.append(cancel, send);
  form.append(
    element('h2', { id: 'ph-title' }, 'Report a problem'),
    element('p', { id: 'ph-intro', class: 'hint' }, 'Tell us what went wrong. Your report is sent with a recording of this visit, so we can see what happened.'),
    element('label', { for: 'ph-text' }, 'What went wrong?'),
    text,
    element('label', { for: 'ph-email' }, 'Email (optional)'),
    email,
    element('p', { id: 'ph-email-hint', class: 'hint' }, 'Only if you would like us to get back to you.'),
    status,
    actions,
  );
  dialog.appendChild(form);
  shadowRoot.appendChild(dialog);

  const invalid = (field: HTMLTextAreaElement | HTMLInputElement, message: string): void => {
    field.setAttribute('aria-invalid', 'true');
    status.textContent = message;
    field.focus();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    text.removeAttribute('aria-invalid');
    email.removeAttribute('aria-invalid');
    const description = text.value.trim();
    const address = email.value.trim();
    if (!description) return invalid(text, 'Please describe the problem.');
    if (address && !email.checkValidity()) return invalid(email, 'Please enter a valid email address, or leave it empty.');
    const report: { text: string; email?: string; url: string } = {
      text: maskFreeText(truncate(description, MAX_TEXT)),
      url: redactUrl(location.href),
    };
    // the user's chosen contact: sent as typed (the server stores it encrypted)
    if (address) report.email = truncate(address, 320);
    let sent = false;
    try {
      sent = host.send(report);
    } catch {
      // reported below
    }
    if (!sent) {
      status.textContent = 'Sorry, the report could not be sent.';
      return;
    }
    // the thank-you view: a heading, a message, and Close
    const close = element('button', { type: 'button', class: 'primary' }, 'Close');
    close.addEventListener('click', () => dialog.close());
    const done = element('div', { class: 'actions' });
    done.appendChild(close);
    form.replaceChildren(element('h2', { id: 'ph-title' }, 'Thank you'), status, done);
    status.className = '';
    status.textContent = 'Your report was sent.';
    close.focus();
  });

  cancel.addEventListener('click', () => dialog.close());

  // Tab and Shift+Tab cycle through the dialog's controls
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const controls = [...dialog.querySelectorAll<HTMLElement>('textarea, input, button')];
    const first = controls[0];
    const last = controls[controls.length - 1];
    const at = focused();
    if (event.shiftKey ? at === first || !controls.includes(at as HTMLElement) : at === last) {
      event.preventDefault();
      (event.shiftKey ? last : first)?.focus();
    }
  });

  // Escape closes the modal dialog (its cancel event); focus goes back where it was
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });

  dialog.showModal();
  text.focus();
}

/** Shows the floating "Report a problem" button. */
export function mount(host: ReportHost): void {
  const shadowRoot = shadow();
  if (shadowRoot.querySelector('.fab')) return;
  const button = element('button', { type: 'button', class: 'fab', 'aria-haspopup': 'dialog' }, 'Report a problem');
  button.addEventListener('click', () => open(host));
  shadowRoot.appendChild(button);
}

/** Removes the button and any open dialog. */
export function unmount(): void {
  hostEl?.remove();
  hostEl = root = undefined;
}
