import { makePolicy, type Policy } from './privacy/dom';
import type { Capture } from './network';
import type { RemoteConfig } from './remote';
import { attempt } from './safe';
import { absoluteUrl } from './url';
import type { PlayheadOptions, SentryLike } from './types';

export interface ResolvedOptions {
  /** The Playhead server's absolute base URL, without a trailing slash. */
  endpoint: string;
  projectKey: string;
  policy: Policy;
  capture: Capture | undefined;
  /** True for request URLs that get the session in their `baggage` header. */
  propagate: (url: string) => boolean;
  sentry: SentryLike | undefined;
  sampleRate: number;
  errorSampleRate: number;
  bufferMs: number;
  feedback: boolean;
  debug: boolean;
  requireConsent: boolean;
  respectDoNotTrack: boolean;
  checkoutEveryNms: number;
  flushIntervalMs: number;
  sessionTimeoutMs: number;
  maxQueueBytes: number;
  /** The app's release, sent with every batch (the server ignores one it cannot take). */
  release: string | undefined;
}

export const DEFAULTS = {
  // One keyframe per page load: the server builds the others from the
  // recorded mutations, so the page never re-serialises its whole DOM.
  checkoutEveryNms: 0,
  flushIntervalMs: 5000,
  sessionTimeoutMs: 30 * 60 * 1000,
  maxQueueBytes: 2 * 1024 * 1024,
  bufferMs: 60 * 1000,
} as const;

function number(value: unknown, fallback: number, min: number, max = Infinity): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : fallback;
}

/** The origin of `url` (resolved against the page), or undefined when it is not a URL. */
export const originOf = (url: string): string | undefined => attempt(() => new URL(url, location.href).origin);

function capture(option: PlayheadOptions['networkCapture']): Capture | undefined {
  const allow = option && Array.isArray(option.allowUrls) ? option.allowUrls : [];
  if (!allow.length || !(option!.headers || option!.bodies)) return undefined;
  return {
    allow: (url) => allow.some((rule) => (rule instanceof RegExp ? rule.test(url) : typeof rule === 'string' && url.startsWith(absoluteUrl(rule)))),
    headers: !!option!.headers,
    bodies: !!option!.bodies,
  };
}

/** The page's own origin, the origins named in `rules` and the URLs their regular expressions match. */
function propagation(rules: PlayheadOptions['propagateTo']): (url: string) => boolean {
  const list = Array.isArray(rules) ? rules : [];
  const origins = [location.origin, ...list.map((rule) => typeof rule === 'string' && originOf(rule))];
  const patterns = list.filter((rule): rule is RegExp => rule instanceof RegExp);
  return (url) => {
    const origin = originOf(url);
    return (!!origin && origins.indexOf(origin) >= 0) || patterns.some((rule) => rule.test(url));
  };
}

const PRESETS = ['relaxed', 'default', 'strict'] as const;

/**
 * Fills in defaults; undefined when the endpoint or key is missing. The
 * project's settings (`remote`) set the sample rates, and its privacy
 * preset applies when it is stricter than the page's.
 */
export function resolveOptions(options: PlayheadOptions | undefined, remote?: RemoteConfig): ResolvedOptions | undefined {
  if (!options || typeof options.endpoint !== 'string' || typeof options.projectKey !== 'string') return undefined;
  if (!options.projectKey) return undefined;
  // the stricter of the page's preset (unknown: the default) and the project's, if it has one
  const page = PRESETS.indexOf(options.privacy!);
  const preset = PRESETS[Math.max(page < 0 ? 1 : page, PRESETS.indexOf(remote?.privacy as 'strict'))]!;
  return {
    endpoint: absoluteUrl(options.endpoint.replace(/\/+$/, '') || '/').replace(/\/+$/, ''),
    projectKey: options.projectKey,
    release: options.release,
    policy: makePolicy(preset, options.maskAllInputs, options.maskSelector, options.unmaskSelector, options.blockSelector),
    capture: capture(options.networkCapture),
    propagate: propagation(options.propagateTo),
    sentry: options.sentry,
    sampleRate: number(remote?.sampleRate, number(options.sampleRate, 1, 0, 1), 0, 1),
    errorSampleRate: number(remote?.errorSampleRate, number(options.errorSampleRate, 0, 0, 1), 0, 1),
    bufferMs: number(options.bufferMs, DEFAULTS.bufferMs, 100),
    feedback: options.feedback === true,
    debug: options.debug === true || /[?&]playhead_debug=1(&|$)/.test(location.search),
    requireConsent: options.requireConsent === true,
    respectDoNotTrack: options.respectDoNotTrack === true,
    checkoutEveryNms: number(options.checkoutEveryNms, DEFAULTS.checkoutEveryNms, 0),
    flushIntervalMs: number(options.flushIntervalMs, DEFAULTS.flushIntervalMs, 100),
    sessionTimeoutMs: number(options.sessionTimeoutMs, DEFAULTS.sessionTimeoutMs, 1),
    maxQueueBytes: number(options.maxQueueBytes, DEFAULTS.maxQueueBytes, 1024),
  };
}
