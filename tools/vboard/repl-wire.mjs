// The node engine's REPL sockets, on a worker thread (started by repl.ts): the bytes of each
// connection go to the main thread's line editor and back. Here, and not on the main thread,
// because a busy program blocks the main thread; this thread still sees Ctrl-C then and
// interrupts the program (interrupt.ts has the protocol: the shared word and the SIGINT).
// Plain JavaScript: a worker runs without the host's TypeScript loader.
import { createServer } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const { host, port, state, graceMs } = workerData;
const running = new Int32Array(state);
const CTRL_C = "\x03";
const sockets = new Map();
let nextId = 1;

/** Interrupts the entry that still runs `graceMs` after Ctrl-C; true when it did. */
function interruptIfStuck(id) {
  return new Promise((resolve) => {
    setTimeout(() => {
      if (Atomics.load(running, 0) !== id || Atomics.compareExchange(running, 0, id, -1) !== id) return resolve(false);
      process.kill(process.pid, "SIGINT");
      resolve(true);
    }, graceMs);
  });
}

/** One connection: what it sends goes on in order; a Ctrl-C while the program runs holds what
 *  follows until it is known whether the key interrupted the program (then it is used up) or not
 *  (then it goes to the line editor, which clears the line). */
function serve(sock) {
  const id = nextId++;
  const post = (text) => parentPort.postMessage({ t: "data", id, text });
  let pending = "";
  let pumping = Promise.resolve();
  let busy = false;
  const pump = async () => {
    busy = true;
    while (pending) {
      const at = pending.indexOf(CTRL_C);
      const entry = at < 0 ? 0 : Atomics.load(running, 0);
      if (at < 0 || entry <= 0) {
        post(pending);
        pending = "";
        break;
      }
      if (at > 0) post(pending.slice(0, at));
      pending = pending.slice(at + 1);
      if (!(await interruptIfStuck(entry))) post(CTRL_C);
    }
    busy = false;
  };
  sockets.set(id, sock);
  sock.setNoDelay(true);
  parentPort.postMessage({ t: "open", id });
  sock.on("data", (d) => {
    pending += d.toString("latin1");
    if (!busy) pumping = pump();
  });
  sock.on("error", () => { /* the peer went away; "close" follows */ });
  sock.on("close", () => {
    sockets.delete(id);
    void pumping.then(() => parentPort.postMessage({ t: "close", id }));
  });
}

const server = createServer(serve);
server.on("error", (e) => parentPort.postMessage({ t: "error", message: e.message }));
server.listen(port, host, () => parentPort.postMessage({ t: "listening", port: server.address().port }));

parentPort.on("message", (m) => {
  if (m.t === "write") {
    const s = sockets.get(m.id);
    if (s && s.writable) s.write(m.text, "latin1");
  } else if (m.t === "end") {
    sockets.get(m.id)?.destroy();
  } else if (m.t === "stop") {
    for (const s of sockets.values()) s.destroy();
    server.close(() => process.exit(0));
  }
});
