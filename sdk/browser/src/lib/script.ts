import type { PlayheadOptions } from './types';

/**
 * Reads the options of a `<script src=".../sdk.js" data-project-key="KEY">`
 * tag: the key from `data-project-key`, the endpoint from `data-endpoint` or
 * else the origin the script itself was loaded from.
 */
export function scriptOptions(script: Element | null): PlayheadOptions | undefined {
  if (!script || typeof HTMLScriptElement === 'undefined' || !(script instanceof HTMLScriptElement)) return undefined;
  const projectKey = script.getAttribute('data-project-key');
  if (!projectKey) return undefined;
  const endpoint = script.getAttribute('data-endpoint') || new URL(script.src || location.href, location.href).origin;
  return { endpoint, projectKey };
}
