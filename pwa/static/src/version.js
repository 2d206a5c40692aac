// The build's name, injected by pwa/build.mjs (esbuild define); 'dev' under vitest.
/* global __FIELDSYNC_BUILD__ */
export const BUILD = typeof __FIELDSYNC_BUILD__ === 'string' ? __FIELDSYNC_BUILD__ : 'dev';
export const APP_VERSION = '0.1.0';
