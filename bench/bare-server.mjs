// The baseline: a bare Fastify app with one POST route returning {ok:true}. It runs in its
// own child process, like the platform does, so both targets are measured the same way.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.post("/", async () => ({ ok: true }));
await app.listen({ port: 0, host: "127.0.0.1" });
const { port } = app.server.address();

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await app.close().catch(() => {});
  process.exit(0);
}
process.on("message", (m) => m?.type === "stop" && void stop());
process.on("SIGTERM", () => void stop());
process.on("disconnect", () => void stop()); // the bench died: do not linger
process.send({ type: "ready", url: `http://127.0.0.1:${port}` });
