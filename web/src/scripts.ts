// Loading the app's other bundles (assets/player.js, assets/snapshot.js) on
// demand. The page's CSP allows scripts from this origin only, which these are.

const loading = new Map<string, Promise<unknown>>();

/** Loads `src` once and resolves with what `ready` finds after it ran. */
export function loadScript<T>(src: string, ready: () => T | undefined): Promise<T> {
  const have = ready();
  if (have !== undefined) return Promise.resolve(have);
  let p = loading.get(src) as Promise<T> | undefined;
  if (!p) {
    p = new Promise<T>((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.onload = () => {
        const v = ready();
        if (v !== undefined) resolve(v);
        else reject(new Error(`${src} did not load`));
      };
      s.onerror = () => {
        loading.delete(src);
        s.remove();
        reject(new Error(`Cannot load ${src}`));
      };
      document.head.appendChild(s);
    });
    loading.set(src, p);
  }
  return p;
}
