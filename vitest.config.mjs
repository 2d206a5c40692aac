import { defineConfig } from 'vitest/config';

// PWA unit tests only (the backend's tests are pytest, under tests/).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['pwa/static/src/**/*.test.js'],
    setupFiles: ['pwa/vitest.setup.js'],
  },
});
