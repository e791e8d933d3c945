import { attempt } from './safe';

/** Resolves `url` against the page's address; returns it unchanged if it is not a URL. */
export function absoluteUrl(url: string): string {
  return attempt(() => new URL(url, location.href).href) ?? url;
}

/** `url` without its query string and fragment. */
export function stripQuery(url: string): string {
  return url.split(/[?#]/, 1)[0]!;
}

/** `url` without its fragment. */
export function stripHash(url: string): string {
  return url.split('#', 1)[0]!;
}
