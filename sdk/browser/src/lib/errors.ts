import { listen } from './listen';
import { combine, type Teardown } from './teardown';
import { maskFreeText, redactUrl } from './privacy/secrets';
import { describe, truncate } from './text';

/** Payload of the `playhead.error` custom event; message and stack are masked, the source URL redacted. */
export interface ErrorInfo {
  kind: 'error' | 'unhandledrejection';
  message: string;
  stack?: string;
  source?: string;
  line?: number;
  column?: number;
}

const MAX_MESSAGE = 2000;
const MAX_STACK = 10000;

function stackOf(value: unknown): string | undefined {
  const stack = value instanceof Error ? value.stack : undefined;
  return typeof stack === 'string' && stack ? maskFreeText(truncate(stack, MAX_STACK)) : undefined;
}

/**
 * Reports uncaught errors and unhandled promise rejections of the window,
 * masked, with what was thrown (the error, else the message) or rejected.
 */
export function watchErrors(report: (info: ErrorInfo, thrown: unknown) => void): Teardown {
  return combine([
    listen<ErrorEvent>(window, 'error', (event) => {
      // resource load failures are plain Events on elements, not ErrorEvents
      if (typeof ErrorEvent === 'undefined' || !(event instanceof ErrorEvent)) return;
      const info: ErrorInfo = {
        kind: 'error',
        message: maskFreeText(truncate(String(event.message || describe(event.error)), MAX_MESSAGE)),
      };
      const stack = stackOf(event.error);
      if (stack) info.stack = stack;
      if (event.filename) info.source = redactUrl(event.filename);
      if (event.lineno) info.line = event.lineno;
      if (event.colno) info.column = event.colno;
      report(info, event.error ?? event.message);
    }),
    listen<PromiseRejectionEvent>(window, 'unhandledrejection', (event) => {
      const info: ErrorInfo = {
        kind: 'unhandledrejection',
        message: maskFreeText(truncate(describe(event.reason), MAX_MESSAGE)),
      };
      const stack = stackOf(event.reason);
      if (stack) info.stack = stack;
      report(info, event.reason);
    }),
  ]);
}
