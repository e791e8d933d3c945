import type { PlayheadOptions } from './types';

/**
 * Reads the options of a `<script src=".../sdk.js" data-project-key="KEY">`
 * tag: the key from `data-project-key`, the endpoint from `data-endpoint` or
 * else the origin the script itself was loaded from, and `data-privacy`,
 * `data-require-consent` and `data-respect-dnt`.
 */
export function scriptOptions(script: Element | null): PlayheadOptions | undefined {
  if (!script || typeof HTMLScriptElement === 'undefined' || !(script instanceof HTMLScriptElement)) return undefined;
  const projectKey = script.getAttribute('data-project-key');
  if (!projectKey) return undefined;
  const endpoint = script.getAttribute('data-endpoint') || new URL(script.src || location.href, location.href).origin;
  const privacy = script.getAttribute('data-privacy') as PlayheadOptions['privacy'];
  const flag = (name: string): boolean => script.hasAttribute(name) && script.getAttribute(name) !== 'false';
  return { endpoint, projectKey, privacy, requireConsent: flag('data-require-consent'), respectDoNotTrack: flag('data-respect-dnt') };
}
