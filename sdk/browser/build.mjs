// Builds dist/ from src/:
//   dist/playhead.iife.js  minified script-tag build, global `Playhead`, auto-init
//   dist/index.mjs         minified ES module
//   dist/index.d.ts        type declarations of the public API
//
// The output is deterministic: the same sources and lockfile give
// byte-identical files (no timestamps, no absolute paths).
//
//   node build.mjs          build and print the sizes
//   node build.mjs --check  build in memory and fail if dist/ differs
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';
import ts from 'typescript';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const check = process.argv.includes('--check');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

const banner = `/*! ${pkg.name} ${pkg.version} | includes rrweb (MIT License) https://github.com/rrweb-io/rrweb */`;

/**
 * Code of @rrweb/record that Playhead can never run, cut out of the bundle
 * (about 1.9 KB gzipped in all). Each cut names the text it starts and ends
 * at, what it is replaced with, and what must hold for it to be dead; the
 * build fails if @rrweb/record's code is not laid out as expected.
 *
 * - canvas: Playhead always records with `recordCanvas: false`, so rrweb's
 *   canvas recorder (a CanvasManager class, its inline image worker and the
 *   2D/WebGL patches it reaches) is dead; it becomes a class with the no-op
 *   methods rrweb calls when canvas recording is off.
 * - cross-origin iframes: `recordCrossOriginIframes` is never set, so
 *   IframeManager never listens for the messages that the rest of its
 *   methods (and the mirrors they use) translate.
 * - inline images and canvas data URLs in serialised elements: Playhead
 *   never sets `inlineImages` or `recordCanvas`.
 * - the deprecated `mirror` export, and `hooks`, which Playhead never passes.
 *
 * esbuild then drops every function only the cut code used.
 */
const STUB_METHODS = ['reset', 'freeze', 'unfreeze', 'lock', 'unlock'];
const CUTS = [
  {
    name: 'canvas recorder',
    from: '\nconst jsContent = ',
    to: '\nclass CanvasManager {',
    toEnd: '\n}\n',
    replacement: `\nclass CanvasManager{${STUB_METHODS.map((name) => `${name}(){}`).join('')}}\n`,
    check: (cut, rest) =>
      cut.includes('function WorkerWrapper(') && cut.includes('initCanvasMutationObserver(') &&
      !/\b(jsContent|WorkerWrapper)\b/.test(rest) &&
      rest.includes('new CanvasManager({') && rest.includes('recordCanvas = false') &&
      [...rest.matchAll(/canvasManager\.(\w+)\(/g)].every((m) => STUB_METHODS.includes(m[1])),
  },
  {
    name: 'cross-origin iframe messages',
    from: '\n  handleMessage(message) {',
    toEnd: '\n}\n',
    keepEnd: true,
    replacement: '\n  handleMessage() {}',
    check: (cut, rest) =>
      cut.includes('transformCrossOriginEvent(iframeEl, e) {') &&
      !/\b(transformCrossOriginEvent|replaceIdOnNode|patchRootIdOnNode|replaceStyleIds|replaceIds)\b/.test(rest) &&
      rest.includes('recordCrossOriginIframes = false') &&
      /if \(this\.recordCrossOriginIframes\) \{\s*window\.addEventListener\("message"/.test(rest),
  },
  {
    name: 'cross-origin iframe mirror',
    from: '\nclass CrossOriginIframeMirror {',
    toEnd: '\n}\n',
    replacement: '\nclass CrossOriginIframeMirror {}\n',
    check: (cut, rest) => !/crossOrigin(Iframe|IframeStyle)Mirror\.\w+\(/.test(rest),
  },
  {
    name: 'inline images and canvas data URLs',
    from: '\n  if (tagName === "canvas" && recordCanvas) {',
    to: '\n  if (["audio", "video"].includes(tagName)) {',
    replacement: '\n',
    check: (cut, rest) =>
      cut.includes('if (tagName === "img" && inlineImages) {') &&
      (rest.match(/\b(canvasService|canvasCtx)\b/g) || []).length === 2 && // their declarations
      rest.includes('inlineImages = false'),
  },
  {
    name: 'deprecated mirror export',
    from: '\nconst DEPARTED_MIRROR_ACCESS_WARNING = ',
    to: '\nfunction throttle(',
    replacement: '\n',
    check: (cut, rest) => !/\b_mirror\b/.test(rest) && !rest.includes('DEPARTED_MIRROR_ACCESS_WARNING'),
  },
  {
    name: 'hooks',
    from: '\nfunction mergeHooks(o, hooks) {',
    toEnd: '\n}\n',
    replacement: '\nfunction mergeHooks() {}\n',
    check: (cut, rest) => cut.includes('hooks.mutation') && rest.includes('function initObservers(o, hooks = {}) {'),
  },
];

function applyCut(source, cut) {
  const start = source.indexOf(cut.from);
  // `to` starts the last part of the cut; `toEnd` ends it (kept when `keepEnd`)
  const last = cut.to === undefined ? start : source.indexOf(cut.to, start);
  let end = last;
  if (cut.toEnd !== undefined) {
    end = source.indexOf(cut.toEnd, last + 1);
    if (end >= 0 && !cut.keepEnd) end += cut.toEnd.length;
  }
  const removed = source.slice(start, end);
  const rest = source.slice(0, start) + source.slice(end);
  const ok = start >= 0 && last >= start && end >= last && end > start && source.indexOf(cut.from, start + 1) < 0 && cut.check(removed, rest);
  if (!ok) throw new Error(`@rrweb/record changed shape: review the "${cut.name}" cut in build.mjs`);
  return source.slice(0, start) + cut.replacement + source.slice(end);
}

const withoutDeadRrwebCode = {
  name: 'without-dead-rrweb-code',
  setup(build) {
    build.onLoad({ filter: /[\\/]@rrweb[\\/]record[\\/]dist[\\/]record\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: CUTS.reduce(applyCut, source), loader: 'js' };
    });
  },
};

/** Shared esbuild settings. */
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  write: false,
  target: ['es2020'],
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'eof',
  banner: { js: banner },
  define: { __PLAYHEAD_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  plugins: [withoutDeadRrwebCode],
};

async function bundle(options) {
  const result = await esbuild.build({ ...common, ...options, metafile: true });
  const [file] = result.outputFiles;
  const meta = Object.values(result.metafile.outputs)[0];
  return { text: file.text, exports: meta.exports ?? [] };
}

const iife = await bundle({
  entryPoints: ['src/auto.ts'],
  outfile: 'dist/playhead.iife.js',
  format: 'iife',
  globalName: 'Playhead',
});

const esm = await bundle({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.mjs',
  format: 'esm',
});

/**
 * Emits declarations with tsc and joins the public ones into a single file.
 * The public API lives in two modules: lib/types.ts (options) and lib/api.ts
 * (functions); everything else is internal.
 */
function declarations() {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const options = { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: join(root, '.d.ts-tmp'), rootDir: join(root, 'src') };
  const program = ts.createProgram([join(root, 'src/index.ts')], options);
  const emitted = new Map();
  const result = program.emit(undefined, (name, text) => emitted.set(name.slice(options.outDir.length + 1).replace(/\\/g, '/'), text));
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(ts.formatDiagnostics(diagnostics, host));
  }
  const parts = ['lib/types.d.ts', 'lib/api.d.ts'].map((name) => {
    const text = emitted.get(name);
    if (text === undefined) throw new Error(`tsc emitted no ${name}`);
    // drop the relative imports between the joined files
    return text.replace(/^import .* from '\.\/[^']+';\n/gm, '').replace(/^export \{\};\n/gm, '').trim();
  });
  return `${banner}\n${parts.join('\n\n')}\n`;
}

const dts = declarations();

// The declarations must name exactly what the ES module exports.
const declared = [...dts.matchAll(/^export (?:declare )?(?:function|interface|type|const) (\w+)/gm)].map((m) => m[1]);
const declaredValues = [...dts.matchAll(/^export (?:declare )?(?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
if (JSON.stringify(declaredValues) !== JSON.stringify([...esm.exports].sort())) {
  throw new Error(`index.d.ts declares ${declaredValues} but index.mjs exports ${esm.exports}`);
}
if (!declared.includes('PlayheadOptions')) throw new Error('index.d.ts lacks PlayheadOptions');

const outputs = {
  'playhead.iife.js': iife.text,
  'index.mjs': esm.text,
  'index.d.ts': dts,
};

for (const [name, text] of Object.entries(outputs)) {
  if (text.includes(root)) throw new Error(`${name} contains the absolute path ${root}`);
}

if (check) {
  const stale = [];
  for (const [name, text] of Object.entries(outputs)) {
    const current = await readFile(join(dist, name), 'utf8').catch(() => null);
    if (current !== text) stale.push(name);
  }
  if (stale.length) {
    console.error(`dist/ is out of date (${stale.join(', ')}): run npm run build`);
    process.exit(1);
  }
  console.log('dist/ is up to date');
} else {
  await mkdir(dist, { recursive: true });
  for (const [name, text] of Object.entries(outputs)) await writeFile(join(dist, name), text);
}

const bytes = Buffer.from(iife.text);
const kb = (n) => `${(n / 1024).toFixed(1)} KB (${n} B)`;
const gz = gzipSync(bytes, { level: 9 }).length;
const br = brotliCompressSync(bytes, {
  params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
}).length;
console.log(`dist/playhead.iife.js  minified ${kb(bytes.length)}  gzip -9 ${kb(gz)}  brotli ${kb(br)}`);
console.log(`dist/index.mjs         minified ${kb(Buffer.byteLength(esm.text))}`);
const GZIP_BUDGET = 28 * 1024;
if (gz > GZIP_BUDGET) {
  console.error(`gzip size ${gz} B is over the budget of ${GZIP_BUDGET} B`);
  process.exit(1);
}
