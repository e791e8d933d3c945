/**
 * What the project's settings (changed in the dashboard) say the SDK
 * records with: its privacy preset and sample rates. The server answers
 * them at `/api/v1/ingest/config`; the SDK keeps the answer in
 * localStorage and applies it from the next page load on.
 */
export interface RemoteConfig {
  privacy?: string;
  sampleRate?: number | null;
  errorSampleRate?: number | null;
}

const slot = (projectKey: string): string => 'playhead.config.' + projectKey;

/** The project's settings kept from an earlier page load, or undefined. */
export function cachedConfig(projectKey: string): RemoteConfig | undefined {
  try {
    return JSON.parse(localStorage.getItem(slot(projectKey))!) || undefined;
  } catch {
    return undefined;
  }
}

/** Asks the server (ingest address `url`) for the project's settings and keeps them for the next page load. */
export function refreshConfig(url: string, projectKey: string, send: typeof fetch): void {
  send(url.replace('?', '/config?'))
    .then((res) => (res.ok ? res.text() : Promise.reject()))
    .then((text) => localStorage.setItem(slot(projectKey), text))
    .catch(() => {});
}
