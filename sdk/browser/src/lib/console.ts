import { patchMethod } from './patch';
import { maskPII } from './privacy/pii';
import { isSecretField, maskFreeText, REDACTED } from './privacy/secrets';
import { combine, type Teardown } from './teardown';
import { truncate } from './text';

/** The shape of an rrweb record plugin. */
export interface RecordPlugin {
  name: string;
  observer: (cb: (payload: ConsolePayload) => void, win: Window, options: unknown) => Teardown;
  options: unknown;
}

/** Payload of a console entry, the format of rrweb's console plugin. */
export interface ConsolePayload {
  level: string;
  /** Each argument as JSON. */
  payload: string[];
  trace: string[];
}

const LEVELS = [
  'assert', 'clear', 'count', 'countReset', 'debug', 'dir', 'dirxml', 'error', 'group', 'groupCollapsed',
  'groupEnd', 'info', 'log', 'table', 'time', 'timeEnd', 'timeLog', 'trace', 'warn',
];
/** Entries recorded per page; the one at the limit says so. */
const MAX_ENTRIES = 1000;
/** Objects with more keys than this are recorded as their `toString()`. */
const MAX_KEYS = 50;
/** Values visited while serialising one argument. */
const MAX_VALUES = 500;
const MAX_ARG = 10000;

function describeNode(node: Node): string {
  const el = node as Element;
  return el.tagName ? '<' + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '>' : node.nodeName;
}

/**
 * A JSON.stringify replacer that masks: strings (and numbers) are PII-masked
 * and secrets redacted, values of secret keys are `[redacted]`, and DOM nodes
 * are named, never serialised (their outerHTML would carry input values and
 * page text). `undefined` is kept as the string "undefined", like rrweb's
 * console plugin does, unless `dropUndefined`.
 */
function masker(dropUndefined?: boolean): (this: unknown, key: string, v: unknown) => unknown {
  const seen: unknown[] = [];
  let count = 0;
  return function (key, v) {
    if (key && isSecretField(key)) return REDACTED;
    if (++count > MAX_VALUES) return '…';
    if (v === undefined) return dropUndefined ? v : 'undefined';
    if (typeof v === 'string') return maskFreeText(truncate(v, MAX_ARG));
    if (typeof v === 'number') {
      const text = String(v);
      return maskPII(text) === text ? v : maskPII(text);
    }
    if (typeof v === 'bigint') return maskPII(v + 'n');
    if (typeof v === 'function') return 'function ' + (v.name || '(anonymous)');
    if (v instanceof Error) return maskFreeText(v.stack ? v.stack : v.name + ': ' + v.message);
    if (typeof Node !== 'undefined' && v instanceof Node) return describeNode(v);
    if (typeof Event !== 'undefined' && v instanceof Event) {
      return { type: v.type, target: v.target instanceof Node ? describeNode(v.target) : undefined };
    }
    if (v && typeof v === 'object') {
      if (seen.indexOf(v) >= 0) return '[Circular]';
      seen.push(v);
      if (Object.keys(v).length > MAX_KEYS) return Object.prototype.toString.call(v);
    }
    return v;
  };
}

/** One console argument as JSON, like rrweb's console plugin, but masked (see `masker`). */
export function stringify(value: unknown): string {
  try {
    return truncate(JSON.stringify(value, masker()) ?? '"undefined"', MAX_ARG);
  } catch {
    return '"[unserializable]"';
  }
}

/** A copy of `value` for an event payload, masked like console arguments; undefined if it cannot be serialised. */
export function maskValue(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value, masker(true)) ?? 'null');
  } catch {
    return undefined;
  }
}

/**
 * The stack where `error` was created, without the SDK's own `skip` frames,
 * each frame as `fn (url:line:col)` or `url:line:col`, secrets redacted.
 */
export function traceOf(error: Error, skip: number): string[] {
  return (error.stack || '')
    .split('\n')
    .filter((line) => /\S+:\d+/.test(line))
    .slice(skip)
    .map((line) => {
      line = line.trim();
      if (line.startsWith('at ')) line = line.slice(3);
      else line = line.replace(/^([^@]*)@(.*)$/, (_, fn: string, at: string) => (fn ? fn + ' (' + at + ')' : at));
      return maskFreeText(line);
    });
}

/**
 * Records console output as rrweb's console plugin does (`type: 6` events,
 * `data.plugin = "rrweb/console@1"`), every level with its stack trace, and
 * with every argument masked before it is serialised. Uncaught errors are
 * not console entries here: they are `playhead.error` events.
 */
export function consolePlugin(): RecordPlugin {
  return {
    name: 'rrweb/console@1',
    options: {},
    observer(cb, win) {
      const logger = (win as unknown as { console: Record<string, (...args: unknown[]) => void> }).console;
      let entries = 0;
      let inside = false;
      return combine(
        LEVELS.map((level) =>
          patchMethod<(...args: unknown[]) => void>(logger, level, (original) =>
            function (this: unknown, ...args: unknown[]) {
              original.apply(this, args);
              if (inside || (level === 'assert' && args[0])) return;
              inside = true;
              try {
                if (++entries < MAX_ENTRIES) {
                  cb({
                    level,
                    // frames: this function and patchMethod's wrapper
                    trace: traceOf(new Error(), 2),
                    payload: (level === 'assert' ? args.slice(1) : args).map(stringify),
                  });
                } else if (entries === MAX_ENTRIES) {
                  cb({ level: 'warn', trace: [], payload: ['"The number of log records reached the threshold."'] });
                }
              } catch {
                // never break the page's logging
              } finally {
                inside = false;
              }
            },
          ),
        ),
      );
    },
  };
}
