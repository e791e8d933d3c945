/** Path of the ingest route on the Playhead server. */
export const INGEST_PATH = '/api/v1/ingest';

/**
 * The ingest address for `endpoint` (an absolute base URL without a trailing
 * slash): `base` without query, and `url` with the project key in `?k=`.
 */
export function ingestAddress(endpoint: string, projectKey: string): { base: string; url: string } {
  const base = endpoint + INGEST_PATH;
  return { base, url: base + '?k=' + encodeURIComponent(projectKey) };
}

/** The player's address for a moment of a session: `${endpoint}/sessions/{sid}?at=<epoch ms>`. */
export function replayAddress(endpoint: string, sid: string, at: number): string {
  return endpoint + '/sessions/' + sid + '?at=' + Math.round(at);
}
