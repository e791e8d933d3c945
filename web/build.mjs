// Builds the dashboard into dist/ (embedded by the Go server).
// The output must be byte-identical on every rebuild: no timestamps, no hashes,
// no absolute paths, no source maps.
import * as esbuild from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [
    { in: "src/main.ts", out: "app" },
    { in: "src/styles/app.css", out: "app" },
  ],
  outdir: "dist/assets",
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  charset: "ascii",
  legalComments: "eof",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
  define: {
    "process.env.NODE_ENV": '"production"',
    "process.env.LANG": "undefined",
  },
});

await writeFile(join(dist, "index.html"), await readFile(join(root, "src/index.html")));

const files = ["index.html", ...Object.keys(result.metafile.outputs).map((p) => p.replace(/^dist\//, ""))].sort();
for (const f of files) {
  const buf = await readFile(join(dist, f));
  console.log(`${f.padEnd(20)} ${String(buf.length).padStart(8)} B  ${String(gzipSync(buf, { level: 9 }).length).padStart(7)} B gzip`);
}
