import type { PlayheadOptions } from './types';

export type ResolvedOptions = Required<PlayheadOptions>;

export const DEFAULTS = {
  maskAllInputs: true,
  checkoutEveryNms: 5 * 60 * 1000,
  flushIntervalMs: 5000,
  sessionTimeoutMs: 30 * 60 * 1000,
} as const;

function number(value: unknown, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
}

/** Fills in defaults; undefined when the endpoint or key is missing. */
export function resolveOptions(options: PlayheadOptions | undefined): ResolvedOptions | undefined {
  if (!options || typeof options.endpoint !== 'string' || typeof options.projectKey !== 'string') return undefined;
  if (!options.projectKey) return undefined;
  return {
    endpoint: options.endpoint,
    projectKey: options.projectKey,
    maskAllInputs: options.maskAllInputs !== false,
    checkoutEveryNms: number(options.checkoutEveryNms, DEFAULTS.checkoutEveryNms, 0),
    flushIntervalMs: number(options.flushIntervalMs, DEFAULTS.flushIntervalMs, 100),
    sessionTimeoutMs: number(options.sessionTimeoutMs, DEFAULTS.sessionTimeoutMs, 1),
  };
}
