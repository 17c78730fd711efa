/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by formwork-web at /designer/ (embedded from dist/ at compile time).
export default defineConfig({
  base: '/designer/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names are the cache key (served `immutable`); no source maps in the binary.
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npm run dev` against a running `formwork demo` (FORMWORK_URL, default :8080).
    proxy: {
      '/api': process.env.FORMWORK_URL ?? 'http://127.0.0.1:8080',
      '/login': process.env.FORMWORK_URL ?? 'http://127.0.0.1:8080',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
