// HTTP API on loopback modelled on a subset of ThingsBoard's REST API (see README.md in this folder).
// Devices are addressed by their name where ThingsBoard uses the device UUID, except in the OTA calls
// (http-ota.ts), which use ThingsBoard's own paths and JSON. A login is needed only when the endpoint
// was given credentials; otherwise an X-Authorization header is accepted and ignored.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { handleRest, type RestBackend } from "./http-ota.ts";
import { errorBody, HttpError, readJson, sendJson } from "./http-util.ts";
import { RpcError } from "./rpc.ts";
import type { DeviceData, Scope } from "./store.ts";

export interface HttpBackend {
  devices(): Array<{ name: string; connected: boolean }>;
  data(name: string): DeviceData | undefined;
  setShared(name: string, attrs: Record<string, unknown>): void;
  deleteShared(name: string, keys: string[]): void;
  /** Resolves with the device's raw answer text. */
  rpc(name: string, method: string, params: unknown, timeoutMs: number, oneway: boolean): Promise<string | undefined>;
  /** Login, OTA packages and device JSON. */
  rest: RestBackend;
}

const TELEMETRY = /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/(.+)$/;
const RPC = /^\/api\/(plugins\/rpc|rpc)\/(oneway|twoway)\/([^/]+)$/;
const SCOPES: Record<string, Scope | "server"> = { CLIENT_SCOPE: "client", SHARED_SCOPE: "shared", SERVER_SCOPE: "server" };

export function createHttpApi(backend: HttpBackend, log: (line: string) => void): Server {
  return createServer((req, res) => {
    route(backend, req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (status === 500) log(`http ${req.method} ${req.url}: ${message}`);
      sendJson(res, status, errorBody(status, message));
    });
  });
}

async function route(b: HttpBackend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  if (await handleRest(b.rest, req, res, path, url.searchParams)) return;
  if (path === "/api/devices" && req.method === "GET") return sendJson(res, 200, b.devices());
  const rpc = RPC.exec(path);
  if (rpc && req.method === "POST") return handleRpc(b, rpc[1] === "rpc" ? "v2" : "v1", rpc[2] === "oneway", decode(rpc[3]!), req, res);
  const tel = TELEMETRY.exec(path);
  if (tel) return handleTelemetry(b, decode(tel[1]!), tel[2]!, url.searchParams, req, res);
  throw new HttpError(404, `no such API: ${req.method} ${path}; see tools/tb-endpoint/README.md for the supported calls`);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad percent-encoding in "${segment}"`);
  }
}

function deviceData(b: HttpBackend, name: string): DeviceData {
  const data = b.data(name);
  if (!data) throw new HttpError(404, `Device with requested name "${name}" wasn't found!`);
  return data;
}

function keysParam(q: URLSearchParams): string[] | undefined {
  const raw = q.get("keys");
  if (raw === null || raw.trim() === "") return undefined;
  return raw.split(",").map((k) => k.trim()).filter(Boolean);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new HttpError(400, `query parameter ${name} must be an integer, got "${raw}"`);
  return Number(raw);
}

async function handleTelemetry(b: HttpBackend, name: string, rest: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const data = deviceData(b, name);
  if (req.method === "GET" && rest === "values/timeseries") return sendJson(res, 200, timeseries(data, q));
  if (req.method === "GET" && rest === "keys/timeseries") return sendJson(res, 200, [...data.series.keys()]);
  if (req.method === "GET" && (rest === "values/attributes" || rest.startsWith("values/attributes/"))) {
    const scopeName = rest.slice("values/attributes/".length);
    const scopes: Scope[] = rest === "values/attributes" ? ["client", "shared"] : [attributeScope(scopeName)].filter((s): s is Scope => s !== "server");
    const keys = keysParam(q);
    const out: Array<{ key: string; value: unknown; lastUpdateTs: number }> = [];
    for (const scope of scopes) {
      for (const [key, a] of data.attributes[scope]) if (!keys || keys.includes(key)) out.push({ key, value: a.value, lastUpdateTs: a.lastUpdateTs });
    }
    return sendJson(res, 200, out);
  }
  // Both ThingsBoard forms: .../attributes/SHARED_SCOPE and the older .../SHARED_SCOPE.
  const scopePath = /^(?:attributes\/)?(CLIENT_SCOPE|SHARED_SCOPE|SERVER_SCOPE)$/.exec(rest);
  if (scopePath && (req.method === "POST" || req.method === "DELETE")) {
    if (scopePath[1] !== "SHARED_SCOPE") throw new HttpError(400, `only SHARED_SCOPE attributes can be changed here, not ${scopePath[1]}`);
    if (req.method === "DELETE") {
      const keys = keysParam(q);
      if (!keys) throw new HttpError(400, "DELETE needs ?keys=a,b naming the shared attributes to delete");
      b.deleteShared(name, keys);
      return sendJson(res, 200, undefined);
    }
    const body = await readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'body must be a JSON object like {"telemetryIntervalMs": 5000}');
    }
    b.setShared(name, body as Record<string, unknown>);
    return sendJson(res, 200, undefined);
  }
  throw new HttpError(404, `no such API: ${req.method} /api/plugins/telemetry/DEVICE/${name}/${rest}`);
}

function attributeScope(name: string): Scope | "server" {
  const scope = SCOPES[name];
  if (!scope) throw new HttpError(400, `unknown attribute scope "${name}"; use CLIENT_SCOPE, SHARED_SCOPE or SERVER_SCOPE`);
  return scope;
}

/**
 * Latest value per key, or with startTs and endTs the history [startTs, endTs) newest first, at most
 * `limit` (default 100) per key. Values are strings unless useStrictDataTypes=true, as in ThingsBoard.
 */
function timeseries(data: DeviceData, q: URLSearchParams): Record<string, Array<{ ts: number; value: unknown }>> {
  const keys = keysParam(q) ?? [...data.series.keys()];
  const startTs = intParam(q, "startTs");
  const endTs = intParam(q, "endTs");
  const limit = intParam(q, "limit") ?? 100;
  if ((startTs === undefined) !== (endTs === undefined)) throw new HttpError(400, "give startTs and endTs together (ms since epoch) or neither for the latest values");
  if (limit < 1) throw new HttpError(400, `limit must be at least 1, got ${limit}`);
  const strict = q.get("useStrictDataTypes") === "true";
  const out: Record<string, Array<{ ts: number; value: unknown }>> = {};
  for (const key of keys) {
    const points = startTs === undefined ? data.history(key).slice(0, 1) : data.history(key, startTs, endTs, limit);
    if (points.length) out[key] = points.map((p) => ({ ts: p.ts, value: strict ? p.value : asString(p.value) }));
  }
  return out;
}

function asString(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

async function handleRpc(b: HttpBackend, api: "v1" | "v2", oneway: boolean, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  deviceData(b, name);
  const body = await readJson(req);
  if (typeof body !== "object" || body === null || typeof (body as { method?: unknown }).method !== "string") {
    throw new HttpError(400, 'RPC body must be {"method": "...", "params": ..., "timeout": ms}');
  }
  const { method, params, timeout } = body as { method: string; params?: unknown; timeout?: unknown };
  if (timeout !== undefined && !(typeof timeout === "number" && timeout > 0)) {
    throw new HttpError(400, `RPC "timeout" must be a positive number of ms, got ${JSON.stringify(timeout)}`);
  }
  try {
    const raw = await b.rpc(name, method, params ?? {}, (timeout as number | undefined) ?? 10_000, oneway);
    if (!raw) return sendJson(res, 200, undefined);
    try {
      JSON.parse(raw);
    } catch {
      // ThingsBoard answers 406 when the device's reply is not JSON.
      return sendJson(res, 406, undefined);
    }
    res.writeHead(200, { "content-type": "application/json" }).end(raw);
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    // ThingsBoard: /api/rpc (v2) answers 504 for both; /api/plugins/rpc (v1) 408 on timeout, 409 when offline.
    const status = api === "v2" ? 504 : e.code === "NO_ACTIVE_CONNECTION" ? 409 : 408;
    sendJson(res, status, undefined);
  }
}
