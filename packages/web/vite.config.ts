import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev:web`: Vite on :5173, the API proxied to a running server (`npm start`, :3000).
const target = process.env.BIFROST_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/api": { target, changeOrigin: false } } },
});
