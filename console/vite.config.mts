/**
 * The compliance console's build: Preact (JSX compiled by Vite's own transformer, no plugin),
 * served by the gateway under /console from dist/console. Everything the page needs is in the
 * bundle: no fonts, scripts or styles from anywhere else.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // The gateway serves these files itself; nothing is fetched from a CDN.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: true,
  },
});
