import { defineConfig } from 'vite'

// The server hosts the built sample under /app/ (server/Collab.Server/wwwroot/app); `npm run dev` proxies the API.
export default defineConfig({
  base: '/app/',
  build: {
    outDir: process.env['COLLAB_WEB_OUT'] ?? '../../server/Collab.Server/wwwroot/app',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000
  },
  server: {
    proxy: {
      '/api': process.env.COLLAB_SERVER ?? 'http://localhost:5050',
      '/hubs': { target: process.env.COLLAB_SERVER ?? 'http://localhost:5050', ws: true }
    }
  }
})
