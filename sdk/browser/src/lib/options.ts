import { makePolicy, type Policy } from './privacy/dom';
import type { Capture } from './network';
import { absoluteUrl } from './url';
import type { PlayheadOptions } from './types';

export interface ResolvedOptions {
  endpoint: string;
  projectKey: string;
  policy: Policy;
  capture: Capture | undefined;
  debug: boolean;
  requireConsent: boolean;
  respectDoNotTrack: boolean;
  checkoutEveryNms: number;
  flushIntervalMs: number;
  sessionTimeoutMs: number;
  maxQueueBytes: number;
}

export const DEFAULTS = {
  checkoutEveryNms: 5 * 60 * 1000,
  flushIntervalMs: 5000,
  sessionTimeoutMs: 30 * 60 * 1000,
  maxQueueBytes: 2 * 1024 * 1024,
} as const;

function number(value: unknown, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
}

function capture(option: PlayheadOptions['networkCapture']): Capture | undefined {
  const allow = option && Array.isArray(option.allowUrls) ? option.allowUrls : [];
  if (!allow.length || !(option!.headers || option!.bodies)) return undefined;
  return {
    allow: (url) => allow.some((rule) => (rule instanceof RegExp ? rule.test(url) : typeof rule === 'string' && url.startsWith(absoluteUrl(rule)))),
    headers: !!option!.headers,
    bodies: !!option!.bodies,
  };
}

/** Fills in defaults; undefined when the endpoint or key is missing. */
export function resolveOptions(options: PlayheadOptions | undefined): ResolvedOptions | undefined {
  if (!options || typeof options.endpoint !== 'string' || typeof options.projectKey !== 'string') return undefined;
  if (!options.projectKey) return undefined;
  const preset = options.privacy === 'strict' || options.privacy === 'relaxed' ? options.privacy : 'default';
  return {
    endpoint: options.endpoint,
    projectKey: options.projectKey,
    policy: makePolicy(preset, options.maskAllInputs, options.maskSelector, options.unmaskSelector, options.blockSelector),
    capture: capture(options.networkCapture),
    debug: options.debug === true || /[?&]playhead_debug=1(&|$)/.test(location.search),
    requireConsent: options.requireConsent === true,
    respectDoNotTrack: options.respectDoNotTrack === true,
    checkoutEveryNms: number(options.checkoutEveryNms, DEFAULTS.checkoutEveryNms, 0),
    flushIntervalMs: number(options.flushIntervalMs, DEFAULTS.flushIntervalMs, 100),
    sessionTimeoutMs: number(options.sessionTimeoutMs, DEFAULTS.sessionTimeoutMs, 1),
    maxQueueBytes: number(options.maxQueueBytes, DEFAULTS.maxQueueBytes, 1024),
  };
}
