import { getRecordConsolePlugin } from '@rrweb/rrweb-plugin-console-record';

export type RecordPlugin = ReturnType<typeof getRecordConsolePlugin>;

const SKIPPED = ['error', 'unhandledrejection'];

/**
 * A view of `win` on which the plugin cannot listen for `error` and
 * `unhandledrejection`: those are reported as `playhead.error` instead, so
 * that an uncaught error is not also counted as a console error.
 */
function withoutErrorEvents<W extends object>(win: W): W {
  return new Proxy(win, {
    get(target, property) {
      if (property === 'addEventListener' || property === 'removeEventListener') {
        return (type: string, ...rest: [EventListenerOrEventListenerObject, unknown?]) => {
          if (SKIPPED.indexOf(type) < 0) {
            (Reflect.get(target, property) as (...a: unknown[]) => void).call(target, type, ...rest);
          }
        };
      }
      return Reflect.get(target, property) as unknown;
    },
  });
}

/**
 * rrweb's console plugin: every console level, each entry with its stack
 * trace. Emits `type: 6` events with `data.plugin = "rrweb/console@1"`.
 */
export function consolePlugin(): RecordPlugin {
  const plugin = getRecordConsolePlugin({ lengthThreshold: 1000 });
  const observer = plugin.observer;
  if (!observer) return plugin;
  return {
    ...plugin,
    observer: (callback, win, options) => observer(callback, withoutErrorEvents(win), options),
  };
}
