// The live page's own small HTTP server (loopback only): the static page from tools/demo/public, a JSON
// snapshot, server-sent events for live updates, and four actions: an RPC and a shared attribute
// change, passed to the device through the local endpoint's programmatic API, a firmware update,
// done by the function the server's creator gives it, and plugging the board's sensor in or out.
// Closing it tells open pages with a "stopped" event, so they show the demo as stopped rather than
// the device as connected.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from "../common/index.ts";
import { RpcError } from "../tb-endpoint/index.ts";
import type { DeviceView, ViewEvent } from "./device-view.ts";
import type { DemoSensor, SensorState } from "./sensor-control.ts";

const PUBLIC_DIR = join(import.meta.dirname, "public");
// A fixed list, so no request path can reach any other file.
const STATIC: Record<string, [file: string, type: string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/chart.js": ["chart.js", "text/javascript; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
};
const MAX_BODY = 16 * 1024;
const HISTORY = 600;
/** How long close() waits for open pages to receive the "stopped" event. */
const BYE_MS = 500;
const METHOD_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const NO_UPDATE = "Firmware updates are not wired into this demo: its page server was started without updateFirmware";

export interface PageServerOptions {
  view: DeviceView;
  /** Telemetry keys to show: [temperature, humidity]. */
  keys: [string, string];
  /** Shown on the page: the board and where the device connects. */
  info: Record<string, string | number>;
  port: number;
  log?: (line: string) => void;
  /**
   * Builds an update and assigns it to the device (tools/start.ts wires it); resolves with a line for the
   * page. Without it the page's "Update firmware" button is disabled and says why.
   */
  updateFirmware?: () => Promise<string>;
  /** Why there is no updateFirmware, for the disabled button's tooltip and the API's 503. */
  updateUnavailable?: string;
  /** Units of other telemetry keys the page may show (the pressure key: "hPa"). */
  units?: Record<string, string>;
  /** The part wired to the board (npm start -- --sensor): the page shows it and plugs it in or out. */
  sensor?: DemoSensor;
}

export interface PageServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startPageServer(o: PageServerOptions): Promise<PageServer> {
  const log = o.log ?? (() => {});
  const streams = new Set<ServerResponse>();
  // The interval limits go with every snapshot, so the page checks its fields by the rule this server applies.
  const limits = { minIntervalMs: MIN_INTERVAL_MS, maxIntervalMs: MAX_INTERVAL_MS };
  // Whether the page may offer a firmware update, and if not, why (the button's tooltip).
  const noUpdate = o.updateUnavailable ?? NO_UPDATE;
  const firmwareUpdate = o.updateFirmware ? { available: true } : { available: false, why: noUpdate };
  let updating = false;
  const snapshot = () => ({
    device: o.view.device(), keys: o.keys, units: o.units ?? {}, info: o.info, limits, firmwareUpdate, history: o.view.history(HISTORY),
    sensor: o.sensor ? o.sensor.state() : null,
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) log(`E demo: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendJson(res, status, { error: (e as Error).message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = STATIC[path];
    if (file) {
      allow(req, "GET");
      res.writeHead(200, { "content-type": file[1], "cache-control": "no-store" });
      res.end(readFileSync(join(PUBLIC_DIR, file[0])));
      return;
    }
    switch (path) {
      case "/api/state":
        allow(req, "GET");
        return sendJson(res, 200, snapshot());
      case "/api/events":
        allow(req, "GET");
        return openStream(res);
      case "/api/rpc": {
        allow(req, "POST");
        const body = await readJson(req);
        const method = body.method;
        if (typeof method !== "string" || !METHOD_RE.test(method)) {
          throw new HttpError(400, `"method" must be an RPC method name like "getStatus", got ${short(method)}`);
        }
        const params = body.params === undefined ? {} : body.params;
        const started = Date.now();
        try {
          const result = await o.view.rpc(method, params);
          const ms = Date.now() - started;
          log(`I demo: RPC ${method} answered in ${ms} ms`);
          return sendJson(res, 200, { method, result: result ?? null, ms });
        } catch (e) {
          const timeout = e instanceof RpcError && e.code === "TIMEOUT";
          log(`W demo: RPC ${method}: ${(e as Error).message}`);
          throw new HttpError(timeout ? 504 : 502, (e as Error).message);
        }
      }
      case "/api/attributes": {
        allow(req, "POST");
        const body = await readJson(req);
        const keys = Object.keys(body);
        if (keys.length !== 1 || keys[0] !== "telemetryIntervalMs") {
          throw new HttpError(400, `send {"telemetryIntervalMs": N}; the page changes only that shared attribute, got keys ${short(keys)}`);
        }
        const ms = body.telemetryIntervalMs;
        // Any whole number in the firmware's range; the page words its own check the same way (app.js).
        if (typeof ms !== "number" || !Number.isInteger(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
          throw new HttpError(400, `telemetryIntervalMs must be a whole number of ms from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}, got ${short(ms)}`);
        }
        o.view.setShared({ telemetryIntervalMs: ms });
        log(`I demo: shared attribute telemetryIntervalMs = ${ms}`);
        return sendJson(res, 200, { shared: o.view.device().shared });
      }
      case "/api/update-firmware": {
        allow(req, "POST");
        if (!o.updateFirmware) throw new HttpError(503, noUpdate);
        if (updating) throw new HttpError(409, "a firmware update is already under way; wait for its answer");
        updating = true;
        const started = Date.now();
        try {
          const message = await o.updateFirmware();
          log(`I demo: firmware update: ${message}`);
          return sendJson(res, 200, { message: String(message), ms: Date.now() - started });
        } catch (e) {
          log(`W demo: firmware update failed: ${(e as Error).message}`);
          throw new HttpError(502, (e as Error).message);
        } finally {
          updating = false;
        }
      }
      case "/api/sensor": {
        allow(req, "POST");
        if (!o.sensor) throw new HttpError(503, "no sensor is wired to this board: start the demo with npm start -- --sensor bme280 (or another part)");
        const body = await readJson(req);
        if (Object.keys(body).length !== 1 || typeof body.present !== "boolean") {
          throw new HttpError(400, `send {"present": true} or {"present": false}, got ${short(body)}`);
        }
        await o.sensor.setPresent(body.present);
        log(`I demo: sensor ${o.sensor.kind} ${body.present ? "plugged in" : "unplugged"}`);
        return sendJson(res, 200, { sensor: o.sensor.state() });
      }
      default:
        throw new HttpError(404, `no such page or API: ${path}; the page is at /`);
    }
  }

  function openStream(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    const send = (type: string, data: unknown) => res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    send("snapshot", snapshot());
    const unsubscribe = o.view.subscribe((e: ViewEvent) => send(e.type, e.type === "device" ? e.device : e.entries));
    const onSensor = (st: SensorState) => send("sensor", st);
    o.sensor?.on("change", onSensor);
    // A comment now and then keeps idle connections from being cut by proxies.
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    streams.add(res);
    res.on("close", () => {
      clearInterval(ping);
      unsubscribe();
      o.sensor?.off("change", onSensor);
      streams.delete(res);
    });
  }

  const port = await listen(server, o.port);
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The goodbye is flushed before the sockets go (briefly: a stuck browser must not hold up Ctrl-C).
      const byes = [...streams].map((s) => new Promise<void>((resolve) => s.end("event: stopped\ndata: {}\n\n", resolve)));
      await Promise.race([Promise.all(byes), new Promise((resolve) => setTimeout(resolve, BYE_MS).unref())]);
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Listens on 127.0.0.1:port, or on a free port when that one is taken. */
function listen(server: Server, port: number): Promise<number> {
  const attempt = (p: number) => new Promise<number>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(e);
    server.once("error", onError);
    server.listen(p, "127.0.0.1", () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
  return attempt(port).catch((e: NodeJS.ErrnoException) => {
    if (port !== 0 && (e.code === "EADDRINUSE" || e.code === "EACCES")) return attempt(0);
    throw e;
  });
}

function allow(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, `${req.method} is not allowed here; use ${method}`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes; send a small JSON object`);
    chunks.push(c);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not valid JSON; send a JSON object");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, `request body must be a JSON object, got ${Array.isArray(body) ? "an array" : short(body)}`);
  }
  return body as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function short(v: unknown): string {
  const s = v === undefined ? "nothing" : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}
