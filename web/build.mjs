// Builds the dashboard into dist/ (embedded by the Go server).
// The output must be byte-identical on every rebuild: no timestamps, no hashes,
// no absolute paths, no source maps.
//
//   node build.mjs                  writes dist/ (index.html, assets/{app,player,snapshot,export}.js, assets/{app,export}.css)
//   node build.mjs --check          builds in memory and fails if dist/ differs
//   node build.mjs --outdir DIR     writes DIR instead of dist/
import * as esbuild from "esbuild";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes("--check");
const outAt = args.indexOf("--outdir");
const dist = outAt >= 0 && args[outAt + 1] ? resolve(args[outAt + 1]) : join(root, "dist");

/**
 * rrweb's replayer adapts each recorded style sheet before it is rebuilt
 * (selectors for the hover it replays as a class, viewport media queries
 * for device ones) with postcss: parsing each sheet and printing it again
 * cost a fifth of the first frame's rebuild, most of it postcss's code being
 * compiled for its first use. Its adaptCssForReplay is replaced by
 * Playhead's (src/player/css.ts: the same output, from a CSS tokenizer),
 * with the same cache. The build fails if @rrweb/replay's function no longer
 * reads as pinned here.
 */
const ADAPT_CSS = `function adaptCssForReplay(cssText, cache) {
  const cachedStyle = cache == null ? void 0 : cache.stylesWithHoverClass.get(cssText);
  if (cachedStyle) return cachedStyle;
  let result2 = cssText;
  try {
    const ast = postcss$1([
      mediaSelectorPlugin,
      pseudoClassPlugin
    ]).process(cssText);
    result2 = ast.css;
  } catch (error) {
    console.warn("Failed to adapt css for replay", error);
  }
  cache == null ? void 0 : cache.stylesWithHoverClass.set(cssText, result2);
  return result2;
}
`;
const ADAPT_CSS_PLAYHEAD = `function adaptCssForReplay(cssText, cache) {
  const cachedStyle = cache == null ? void 0 : cache.stylesWithHoverClass.get(cssText);
  if (cachedStyle) return cachedStyle;
  let result2 = cssText;
  try {
    result2 = playheadAdaptCss(cssText);
  } catch (error) {
    console.warn("Failed to adapt css for replay", error);
  }
  cache == null ? void 0 : cache.stylesWithHoverClass.set(cssText, result2);
  return result2;
}
`;
/**
 * Without adaptCssForReplay, nothing in @rrweb/replay uses postcss. Its two
 * bundled copies (one for the snapshot rebuilder, one unused, carried in
 * with rrdom) were still each evaluated when the player's script started:
 * these statements run them. Removed, both copies are left out of the
 * bundle as dead code. Pinned verbatim like ADAPT_CSS.
 */
const POSTCSS_EXPORTS = "stringify fromJSON plugin parse list document comment atRule rule decl root CssSyntaxError Declaration Container Processor Document Comment Warning AtRule Result Input Rule Root Node".split(" ");
const postcssStart = (s) =>
  `var postcssExports${s} = requirePostcss${s}();\nconst postcss${s} = /* @__PURE__ */ getDefaultExportFromCjs${s}(postcssExports${s});\n` +
  POSTCSS_EXPORTS.map((name) => `postcss${s}.${name};\n`).join("");
const POSTCSS_STARTS = [postcssStart("$1"), postcssStart("")];
const rrwebReplay = {
  name: "rrweb-replay-adapt-css",
  setup(build) {
    build.onLoad({ filter: /[\\/]@rrweb[\\/]replay[\\/]dist[\\/]replay\.js$/ }, async (args) => {
      let source = await readFile(args.path, "utf8");
      for (const [from, to] of [[ADAPT_CSS, ADAPT_CSS_PLAYHEAD], ...POSTCSS_STARTS.map((start) => [start, ""])]) {
        if (source.split(from).length !== 2) throw new Error("@rrweb/replay changed shape: review the adaptCssForReplay rewrite in build.mjs");
        source = source.replace(from, () => to);
      }
      return {
        contents: `import { adaptCss as playheadAdaptCss } from ${JSON.stringify(join(root, "src", "player", "css.ts"))};\n` + source,
        loader: "js",
        resolveDir: dirname(args.path),
      };
    });
  },
};

const result = await esbuild.build({
  absWorkingDir: root,
  plugins: [rrwebReplay],
  entryPoints: [
    { in: "src/main.ts", out: "app" },
    { in: "src/player-entry.ts", out: "player" },
    { in: "src/snapshot-entry.ts", out: "snapshot" },
    { in: "src/export-entry.ts", out: "export" },
    { in: "src/styles/app.css", out: "app" },
    { in: "src/styles/export.css", out: "export" },
  ],
  outdir: join(root, "dist", "assets"), // only names the outputs: nothing is written here
  write: false,
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  charset: "ascii",
  legalComments: "eof",
  sourcemap: false,
  logLevel: "warning",
  define: {
    "process.env.NODE_ENV": '"production"',
    "process.env.LANG": "undefined",
  },
});

/** dist-relative path (with /) -> bytes */
const outputs = new Map();
outputs.set("index.html", await readFile(join(root, "src/index.html")));
for (const f of result.outputFiles) {
  outputs.set(relative(join(root, "dist"), f.path).split(sep).join("/"), Buffer.from(f.contents));
}

async function listFiles(dir, prefix = "") {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = prefix + e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel + "/")));
    else out.push(rel);
  }
  return out;
}

if (check) {
  const problems = [];
  for (const [name, bytes] of outputs) {
    const current = await readFile(join(dist, name)).catch(() => null);
    if (!current) problems.push(`${name} is missing`);
    else if (!current.equals(bytes)) problems.push(`${name} differs`);
  }
  for (const name of await listFiles(dist)) {
    if (!outputs.has(name)) problems.push(`${name} is not built from the sources`);
  }
  if (problems.length) {
    console.error(`dist/ is out of date (${problems.join("; ")}): run npm run build and commit dist/`);
    process.exit(1);
  }
  console.log("dist/ is up to date");
} else {
  if (dist === root || root.startsWith(dist + sep)) throw new Error(`refusing to replace ${dist}: it holds the sources`);
  await rm(dist, { recursive: true, force: true });
  for (const [name, bytes] of [...outputs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await mkdir(dirname(join(dist, name)), { recursive: true });
    await writeFile(join(dist, name), bytes);
    console.log(`${name.padEnd(20)} ${String(bytes.length).padStart(8)} B  ${String(gzipSync(bytes, { level: 9 }).length).padStart(7)} B gzip`);
  }
}
