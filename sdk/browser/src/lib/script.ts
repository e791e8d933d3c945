import type { PlayheadOptions } from './types';

/**
 * Reads the options of a `<script src=".../sdk.js" data-project-key="KEY">`
 * tag: the key from `data-project-key`, the endpoint from `data-endpoint` or
 * else the origin the script itself was loaded from, and `data-privacy`,
 * `data-require-consent`, `data-respect-dnt`, `data-feedback`,
 * `data-sample-rate`, `data-error-sample-rate`, `data-release` and
 * `data-propagate-to` (origins separated by spaces).
 */
export function scriptOptions(script: Element | null): PlayheadOptions | undefined {
  if (!script || typeof HTMLScriptElement === 'undefined' || !(script instanceof HTMLScriptElement)) return undefined;
  const attribute = (name: string): string | null => script.getAttribute('data-' + name);
  const projectKey = attribute('project-key');
  if (!projectKey) return undefined;
  const endpoint = attribute('endpoint') || new URL(script.src || location.href, location.href).origin;
  const privacy = attribute('privacy') as PlayheadOptions['privacy'];
  const flag = (name: string): boolean => script.hasAttribute('data-' + name) && attribute(name) !== 'false';
  // an absent or invalid rate is NaN: the default
  const rate = (name: string): number => parseFloat(attribute(name)!);
  return {
    endpoint,
    projectKey,
    privacy,
    requireConsent: flag('require-consent'),
    respectDoNotTrack: flag('respect-dnt'),
    feedback: flag('feedback'),
    sampleRate: rate('sample-rate'),
    errorSampleRate: rate('error-sample-rate'),
    propagateTo: (attribute('propagate-to') || '').split(/\s+/).filter(Boolean),
    release: attribute('release') || undefined,
  };
}
