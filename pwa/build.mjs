// Builds the technician PWA into pwa/static/dist/ (gitignored):
//   src/app.js -> dist/app.js (+ .map), src/app.css -> dist/app.css, src/sw.js -> dist/sw.js
// then injects the precache manifest into dist/sw.js. Flask serves pwa/static at
// /app/static/ (dist/ from PWA_DIST_DIR when set), dist/sw.js at /app/sw.js (scope /app/),
// manifest.webmanifest at /app/manifest.webmanifest, and the shell HTML at /app/ and every
// in-app address; the precache URLs are written for those addresses.
//
//   node pwa/build.mjs [--outdir DIR] [--tag TAG]
// --outdir builds elsewhere (the browser tests build into a temporary folder); --tag names
// the build (default: a hash of the sources), so two builds of the same sources can differ.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';

const pwaDir = dirname(fileURLToPath(import.meta.url));
const staticDir = join(pwaDir, 'static');
const src = join(staticDir, 'src');
const shellHtml = join(pwaDir, 'templates', 'app.html');

const { values: options } = parseArgs({
  options: { outdir: { type: 'string' }, tag: { type: 'string' } },
});
const dist = resolve(options.outdir ?? join(staticDir, 'dist'));

// Phones in the field: recent Android WebView/Chrome and iOS Safari.
const target = ['chrome100', 'safari15', 'firefox100'];

async function exists(path) {
  return stat(path).then(() => true, () => false);
}

async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name)).sort();
}

const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

// The build's name: what the sources say, so that an unchanged tree builds the same worker.
async function sourceHash() {
  const hash = createHash('sha256');
  const files = [...await filesUnder(src), shellHtml, ...await filesUnder(join(staticDir, 'i18n'))]
    .filter((f) => !f.endsWith('.test.js'));
  for (const file of files) hash.update(relative(pwaDir, file)).update(await readFile(file));
  return hash.digest('hex').slice(0, 10);
}

const build = options.tag ?? await sourceHash();
// Workbox strips its development logging when NODE_ENV is production.
const define = { 'process.env.NODE_ENV': '"production"', __FIELDSYNC_BUILD__: JSON.stringify(build) };

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await esbuild.build({
  entryPoints: [join(src, 'app.js')],
  outfile: join(dist, 'app.js'),
  bundle: true, format: 'esm', minify: true, sourcemap: true, target, define,
  logLevel: 'warning',
});
// A classic script: module service workers are not supported everywhere yet.
await esbuild.build({
  entryPoints: [join(src, 'sw.js')],
  outfile: join(dist, 'sw.js'),
  bundle: true, format: 'iife', minify: true, target, define,
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [join(src, 'app.css')],
  outfile: join(dist, 'app.css'),
  bundle: true, minify: true, target, logLevel: 'warning',
});

// The precache list. The built files and the shell HTML live outside globDirectory (dist
// may be a temporary folder, the shell is a template), so their revisions are computed
// here; the static files under pwa/static are globbed by workbox-build.
let additionalBytes = 0;
const revisioned = async (url, path) => {
  const bytes = await readFile(path);
  additionalBytes += bytes.length;
  return { url, revision: md5(bytes) };
};
const additionalManifestEntries = [
  // The HTML shell: every navigation under /app/ is answered with it, online or not.
  await revisioned('/app/', shellHtml),
  await revisioned('/app/static/dist/app.js', join(dist, 'app.js')),
  await revisioned('/app/static/dist/app.css', join(dist, 'app.css')),
];

const { count, size, warnings } = await injectManifest({
  swSrc: join(dist, 'sw.js'),
  swDest: join(dist, 'sw.js'),
  globDirectory: staticDir,
  globPatterns: [
    'i18n/*.json',
    (await exists(join(staticDir, 'icons'))) && 'icons/**/*.{png,svg,webp,ico}',
    (await exists(join(staticDir, 'manifest.webmanifest'))) && 'manifest.webmanifest',
  ].filter(Boolean),
  additionalManifestEntries,
  manifestTransforms: [
    async (entries) => ({
      manifest: entries.map((entry) => {
        if (entry.url.startsWith('/')) return entry;
        const url = entry.url === 'manifest.webmanifest'
          ? '/app/manifest.webmanifest' : `/app/static/${entry.url}`;
        return { ...entry, url };
      }),
      warnings: [],
    }),
  ],
});
for (const warning of warnings) console.warn(warning);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const gzipOf = async (path) => gzipSync(await readFile(path), { level: 9 }).length;
const js = await gzipOf(join(dist, 'app.js'));
const css = await gzipOf(join(dist, 'app.css'));
const sw = await gzipOf(join(dist, 'sw.js'));
console.log(`build ${build} -> ${relative(process.cwd(), dist) || '.'}`);
console.log(`precached ${count} files (${kb(size + additionalBytes)})`);
console.log(`service worker: ${kb(sw)} gzip`);
console.log(`shell JS+CSS: ${kb(js + css)} gzip (${js + css} bytes: app.js ${js} + app.css ${css}); budget 100 KB`);
if (js + css > 100 * 1024) {
  console.error('the shell is over its 100 KB gzip budget');
  process.exitCode = 1;
}
