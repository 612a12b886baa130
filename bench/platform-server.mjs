// The target: the real embedded platform (API + queue + worker pool + SQLite), started
// in-process here from the built packages, configured by the environment the bench passes
// (temp BIFROST_DATA_DIR / BIFROST_WORKSPACE, BIFROST_WATCH=false, BIFROST_WORKERS=2, PORT=0).
import { loadConfig } from "../packages/server/dist/config.js";
import { startPlatform } from "../packages/server/dist/platform.js";

const platform = await startPlatform(loadConfig(process.env), {
  listen: true,
  log: (level, message) => {
    if (level !== "info") console.error(`[platform ${level}] ${message}`);
  },
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await platform.close().catch((error) => console.error("[platform] close failed:", error));
  process.exit(0); // a normal exit, so `node --cpu-prof` writes its profile
}
process.on("message", (m) => {
  if (m?.type === "stop") void stop();
  // The bench marks the measured window; V8 CPU profiles use the same clock (µs).
  else if (m?.type === "mark") process.send({ type: "mark", name: m.name, us: Number(process.hrtime.bigint() / 1000n) });
});
process.on("SIGTERM", () => void stop());
process.on("disconnect", () => void stop()); // the bench died: do not linger

process.send({
  type: "ready",
  url: platform.url,
  workflows: platform.engine.registry.list().map((w) => w.name),
  loadErrors: platform.engine.registry.loadErrors().length,
});
