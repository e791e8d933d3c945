import { absoluteUrl } from './url';

/** Path of the ingest route on the Playhead server. */
export const INGEST_PATH = '/api/v1/ingest';

/**
 * The ingest address for `endpoint` (a base URL, trailing slashes ignored):
 * `base` without query, and `url` with the project key in `?k=`.
 */
export function ingestAddress(endpoint: string, projectKey: string): { base: string; url: string } {
  const base = absoluteUrl(endpoint.replace(/\/+$/, '') || '/').replace(/\/+$/, '') + INGEST_PATH;
  return { base, url: base + '?k=' + encodeURIComponent(projectKey) };
}
