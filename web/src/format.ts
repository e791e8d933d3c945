// Formatting of times, sizes, URLs and user agents.

/** 75_000 -> "1:15", 3_725_000 -> "1:02:05". */
export function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A short human duration: "850 ms", "42 s", "3 min 5 s", "1 h 2 min". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** Request durations: "12 ms", "1.4 s". */
export function shortMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return duration(ms);
}

export function bytes(n: number | undefined | null): string {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "–";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "just now", "3 min ago", "2 h ago", "yesterday", "5 days ago", or a date. */
export function relative(ts: number, now: number = Date.now()): string {
  const d = now - ts;
  if (!Number.isFinite(d)) return "–";
  if (d < 0) return "just now";
  const s = Math.floor(d / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const days = Math.round(h / 24);
  if (days === 1) return "yesterday";
  if (days < 14) return `${days} days ago`;
  return new Date(ts).toLocaleDateString();
}

export function absolute(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? "–" : d.toLocaleString();
}

/** The path (+ query + hash) of a URL, or the text itself when it is no URL. */
export function urlPath(u: string): string {
  try {
    const url = new URL(u);
    return url.pathname + url.search + url.hash;
  } catch {
    return u;
  }
}

export function urlHost(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return "";
  }
}

/** "Chrome 131 · macOS" from a user agent string. */
export function shortUserAgent(ua: string): string {
  if (!ua) return "Unknown";
  const b = browserOf(ua);
  const os = osOf(ua);
  return os ? `${b} · ${os}` : b;
}

function major(ua: string, re: RegExp): string {
  const m = re.exec(ua);
  return m && m[1] ? ` ${m[1]}` : "";
}

function browserOf(ua: string): string {
  if (/Edg(e|A|iOS)?\//.test(ua)) return "Edge" + major(ua, /Edg(?:e|A|iOS)?\/(\d+)/);
  if (/OPR\/|Opera/.test(ua)) return "Opera" + major(ua, /(?:OPR|Version)\/(\d+)/);
  if (/SamsungBrowser\//.test(ua)) return "Samsung Internet" + major(ua, /SamsungBrowser\/(\d+)/);
  if (/Firefox\/|FxiOS\//.test(ua)) return "Firefox" + major(ua, /(?:Firefox|FxiOS)\/(\d+)/);
  if (/HeadlessChrome\//.test(ua)) return "Headless Chrome" + major(ua, /HeadlessChrome\/(\d+)/);
  if (/CriOS\//.test(ua)) return "Chrome" + major(ua, /CriOS\/(\d+)/);
  if (/Chrome\//.test(ua)) return "Chrome" + major(ua, /Chrome\/(\d+)/);
  if (/Safari\//.test(ua) && /Version\//.test(ua)) return "Safari" + major(ua, /Version\/(\d+(?:\.\d+)?)/);
  if (/Safari\//.test(ua)) return "Safari";
  const first = ua.split(/[\s/]/)[0];
  return first ? first.slice(0, 24) : "Unknown";
}

function osOf(ua: string): string {
  if (/iPhone|iPad|iPod/.test(ua)) return "iOS";
  if (/Android/.test(ua)) return "Android" + major(ua, /Android (\d+)/);
  if (/CrOS/.test(ua)) return "ChromeOS";
  if (/Windows/.test(ua)) return "Windows";
  if (/Mac OS X|Macintosh/.test(ua)) return "macOS";
  if (/Linux/.test(ua)) return "Linux";
  return "";
}

/**
 * Number with thin grouping, as en-US writes it: 12345 -> "12,345". A
 * whole number is grouped by hand: the first toLocaleString of a page
 * loads locale data, which delayed the player's panels by tens of
 * milliseconds (counts are whole numbers; others still go that way).
 */
export function count(n: number | undefined | null): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  if (!Number.isInteger(n) || Math.abs(n) >= 1e21) return n.toLocaleString("en-US");
  return (n < 0 ? "-" : "") + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
