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
 * rrweb's replayer rewrites each recorded style sheet before it is rebuilt,
 * adding a class to every :hover selector (postcss, `pseudoClassPlugin`).
 * That pass kept the rules it had rewritten in an array, which it searched
 * through for every rule: time that grows with the square of a sheet's
 * rules (a sheet of 10,000 rules, 50 million comparisons the first time
 * the replayer meets its text; in Node the whole rewrite of such a sheet
 * took 93 ms, 74 ms with a Set). It keeps them in a Set: the same rules
 * rewritten once each, in the same order. The build fails if
 * @rrweb/replay's code no longer has the shape this expects.
 */
const HOVER_RULES = [
  ["\n    const fixed = [];\n", "\n    const fixed = new Set();\n"],
  ["\n        if (fixed.indexOf(rule2) !== -1) {\n", "\n        if (fixed.has(rule2)) {\n"],
  ["\n        fixed.push(rule2);\n", "\n        fixed.add(rule2);\n"],
];
const HOVER_PLACED =
  /\nconst pseudoClassPlugin = \{\n  postcssPlugin: "postcss-hover-classes",\n  prepare: function\(\) \{\n    const fixed = new Set\(\);\n    return \{\n      Rule: function\(rule2\) \{\n        if \(fixed\.has\(rule2\)\) \{\n          return;\n        \}\n        fixed\.add\(rule2\);\n/;
const rrwebReplay = {
  name: "rrweb-replay-hover-rules",
  setup(build) {
    build.onLoad({ filter: /[\\/]@rrweb[\\/]replay[\\/]dist[\\/]replay\.js$/ }, async (args) => {
      let source = await readFile(args.path, "utf8");
      for (const [from, to] of HOVER_RULES) {
        if (source.split(from).length !== 2) throw new Error("@rrweb/replay changed shape: review the hover rules rewrite in build.mjs");
        source = source.replace(from, to);
      }
      if (!HOVER_PLACED.test(source)) throw new Error("@rrweb/replay changed shape: review the hover rules rewrite in build.mjs");
      return { contents: source, loader: "js" };
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
