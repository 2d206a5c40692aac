// Builds the technician PWA into pwa/static/dist/ (gitignored):
//   src/app.js -> dist/app.js (+ .map), src/app.css -> dist/app.css, src/sw.js -> dist/sw.js
// then injects the precache manifest into dist/sw.js. Flask serves pwa/static at
// /app/static/, dist/sw.js at /app/sw.js (scope /app/) and manifest.webmanifest at
// /app/manifest.webmanifest, so the precache URLs are written for those addresses.
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';

const staticDir = join(dirname(fileURLToPath(import.meta.url)), 'static');
const src = join(staticDir, 'src');
const dist = join(staticDir, 'dist');

// Phones in the field: recent Android WebView/Chrome and iOS Safari.
const target = ['chrome100', 'safari15', 'firefox100'];
// Workbox strips its development logging when NODE_ENV is production.
const define = { 'process.env.NODE_ENV': '"production"' };

async function exists(path) {
  return stat(path).then(() => true, () => false);
}

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
const hasCss = await exists(join(src, 'app.css'));
if (hasCss) await copyFile(join(src, 'app.css'), join(dist, 'app.css'));

const { count, size, warnings } = await injectManifest({
  swSrc: join(dist, 'sw.js'),
  swDest: join(dist, 'sw.js'),
  globDirectory: staticDir,
  // Only what exists (icons and manifest may not yet): workbox-build complains about a
  // pattern that matches nothing.
  globPatterns: [
    'dist/app.js',
    hasCss && 'dist/app.css',
    'i18n/*.json',
    (await exists(join(staticDir, 'icons'))) && 'icons/**/*.{png,svg,webp,ico}',
    (await exists(join(staticDir, 'manifest.webmanifest'))) && 'manifest.webmanifest',
  ].filter(Boolean),
  manifestTransforms: [
    async (entries) => ({
      manifest: entries.map((entry) => ({
        ...entry,
        url: entry.url === 'manifest.webmanifest' ? '/app/manifest.webmanifest' : `/app/static/${entry.url}`,
      })),
      warnings: [],
    }),
  ],
});
for (const warning of warnings) console.warn(warning);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const gzipOf = async (path) => gzipSync(await readFile(path), { level: 9 }).length;
const js = await gzipOf(join(dist, 'app.js'));
const css = hasCss ? await gzipOf(join(dist, 'app.css')) : 0;
const sw = await gzipOf(join(dist, 'sw.js'));
console.log(`precached ${count} files (${kb(size)})`);
console.log(`service worker: ${kb(sw)} gzip`);
const parts = hasCss ? `app.js ${js} + app.css ${css}` : `app.js ${js}, no app.css yet`;
console.log(`shell JS+CSS: ${kb(js + css)} gzip (${js + css} bytes: ${parts})`);
