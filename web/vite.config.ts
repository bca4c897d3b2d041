// Builds the front ends into one directory that the praxis binary serves
// (src/api/web_routes.cpp): book.html, widget.js and hashed files under assets/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No data: URLs for assets; everything is a file the CSP allows from 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        book: here('book.html'),
        app: here('app.html'),
        widget: here('src/widget/widget.ts'),
      },
      output: {
        // The widget loader keeps a fixed name: practices embed /widget.js.
        entryFileNames: (chunk) =>
          chunk.name === 'widget' ? 'widget.js' : 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  worker: {
    format: 'es',
    rollupOptions: { output: { entryFileNames: 'assets/[name]-[hash].js' } },
  },
});
