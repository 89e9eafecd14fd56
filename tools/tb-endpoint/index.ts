// A local ThingsBoard-compatible endpoint: MQTT over TLS and/or TCP behaving as ThingsBoard's device
// transport (docs/thingsboard.md), with stored telemetry/attributes, server-side RPC, shared attribute
// pushes and firmware updates (docs/thingsboard.md §6), a programmatic API and an HTTP API modelled on
// ThingsBoard's REST calls.
import { EventEmitter } from "node:events";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { Server as HttpServer } from "node:http";
import { mask } from "../common/index.ts";
import { validateDevices, type DeviceCredentials } from "./devices.ts";
import { createHttpApi, type HttpBackend } from "./http-api.ts";
import type { RestBackend, RestDevice } from "./http-ota.ts";
import {
  answerChunk, assignmentAttributes, checksumOf, FIRMWARE_ATTRIBUTE_KEYS, FIRMWARE_STATE_KEYS, OtaPackages, summary,
  type ChunkRequest, type FirmwareFaults, type FirmwareState, type OtaData, type OtaPackage, type OtaSummary,
} from "./ota.ts";
import { PayloadError, type AttributeRequest, type TelemetryEntry } from "./payloads.ts";
import { DEFAULT_RPC_TIMEOUT_MS, RpcError, type PendingRpc } from "./rpc.ts";
import { MqttSession, type AuthResult, type SessionHost } from "./session.ts";
import { DeviceData, type Scope } from "./store.ts";
import * as T from "./topics.ts";

export { RpcError } from "./rpc.ts";
export type { RpcErrorCode } from "./rpc.ts";
export { loadDevicesFile, validateDevices, type DeviceCredentials } from "./devices.ts";
export type { TelemetryEntry } from "./payloads.ts";
export type { FirmwareFaults, FirmwareState, OtaSummary } from "./ota.ts";

export interface EndpointOptions {
  devices: Array<{ name: string; token: string }>;
  tls?: { certPath: string; keyPath: string; port?: number };
  tcp?: { port?: number };
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  /** A session with no traffic either way for this long is closed; default 10 min as ThingsBoard. */
  idleTimeoutMs?: number;
  /** Largest accepted remaining length; default 65,536 as ThingsBoard. */
  maxPacketBytes?: number;
  /** HTTP API; on a free port by default, `false` for none. */
  http?: { port?: number } | false;
  /** Telemetry entries kept per device and per key, oldest dropped; default 10,000. */
  maxEntriesPerKey?: number;
  /** Provisioning key and secret; without them every provision request is answered NOT_FOUND. */
  provision?: { key: string; secret: string };
  /**
   * The credentials POST /api/auth/login must give; every other /api call then needs the token it
   * answers. Without them any login succeeds and no call needs a token.
   */
  httpLogin?: { username: string; password: string };
  /** Log sink; default silent unless TB_ENDPOINT_LOG is set (then stderr). */
  log?: (line: string) => void;
}

interface DeviceState {
  name: string;
  token: string;
  /** ThingsBoard's device id and creation time, for the REST calls. */
  id: string;
  createdTime: number;
  /** Raised by every save of the device through the REST API, as ThingsBoard's version field. */
  version: number;
  data: DeviceData;
  session?: MqttSession;
  nextRpcId: number;
  pendingRpc: Map<number, PendingRpc>;
  /** The assigned firmware package's id. */
  firmwareId?: string;
  faults: FirmwareFaults;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Events: "connect"(name), "disconnect"(name, reason) when a device's current session ends,
 * "telemetry"(name, entries) from the device, "attributes"(name, attrs), "refused"(maskedToken, code),
 * "closed"(reason) for every connection that ends (refused, replaced and provisioning ones included),
 * "firmwareAssigned"(name, OtaSummary | undefined) when a device's firmware changes (undefined: none),
 * "firmwareChunk"(name, chunk, byteCount) for every chunk answer sent (0 bytes past the end).
 */
export class TbEndpoint extends EventEmitter {
  readonly ports: { tls?: number; tcp?: number; http?: number } = {};
  private readonly byName = new Map<string, DeviceState>();
  private readonly byToken = new Map<string, DeviceState>();
  private readonly sessions = new Set<MqttSession>();
  private readonly servers: Array<Server | HttpServer> = [];
  private readonly host: SessionHost;
  private readonly logLine: (line: string) => void;
  /** ThingsBoard's tenant and the one device profile every device here has. */
  private readonly tenantId = randomUUID();
  private readonly packages = new OtaPackages(randomUUID());
  private stopped = false;

  private constructor(private readonly o: EndpointOptions) {
    super();
    this.logLine = o.log ?? (process.env.TB_ENDPOINT_LOG ? (l) => process.stderr.write(`[tb-endpoint] ${l}\n`) : () => {});
    for (const d of validateDevices(o.devices, "options.devices")) this.addDevice(d);
    this.host = this.sessionHost();
  }

  static async start(o: EndpointOptions): Promise<TbEndpoint> {
    checkOptions(o);
    const ep = new TbEndpoint(o);
    try {
      await ep.listen();
    } catch (e) {
      await ep.stop();
      throw e;
    }
    return ep;
  }

  /** Telemetry entries of a device in arrival order (each as stored: ts, converted values). */
  telemetry(deviceName: string): Array<{ ts: number; values: Record<string, unknown> }> {
    return this.device(deviceName).data.entries.toArray().map((e) => ({ ts: e.ts, values: { ...e.values } }));
  }

  attributes(deviceName: string, scope: Scope): Record<string, unknown> {
    if (scope !== "client" && scope !== "shared") throw new Error(`attributes: scope must be "client" or "shared", got ${JSON.stringify(scope)}`);
    return this.device(deviceName).data.attributeObject(scope);
  }

  /** Stores shared attributes and pushes them to the device's session if it subscribed to updates. */
  setSharedAttributes(deviceName: string, attrs: Record<string, unknown>): void {
    const d = this.device(deviceName);
    if (typeof attrs !== "object" || attrs === null || Array.isArray(attrs)) {
      throw new Error("setSharedAttributes: attributes must be a JSON object like {\"key\": value}");
    }
    const kept = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== null && v !== undefined));
    d.data.setAttributes("shared", kept, Date.now());
    if (Object.keys(kept).length) this.pushToDevice(d, kept);
  }

  deleteSharedAttributes(deviceName: string, keys: string[]): void {
    const d = this.device(deviceName);
    const deleted = d.data.deleteAttributes("shared", keys);
    if (deleted.length) this.pushToDevice(d, { deleted });
  }

  /**
   * Two-way server-side RPC. As ThingsBoard's lightweight RPC, a request waits (up to the timeout) for the
   * device to be connected and subscribed to `v1/devices/me/rpc/request/+`; rejects with RpcError TIMEOUT.
   */
  rpc(deviceName: string, method: string, params: unknown, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<unknown> {
    return this.sendRpc(deviceName, method, params, timeoutMs, false).then(decodeRpcAnswer);
  }

  /** One-way RPC: resolves once sent; NO_ACTIVE_CONNECTION when no subscribed session (ThingsBoard's rule). */
  rpcOneWay(deviceName: string, method: string, params: unknown): Promise<void> {
    return this.sendRpc(deviceName, method, params, DEFAULT_RPC_TIMEOUT_MS, true).then(() => undefined);
  }

  /**
   * Stores a firmware package and assigns it to the device as ThingsBoard does: telemetry
   * target_fw_title/target_fw_version/target_fw_ts with fw_state QUEUED, then fw_state INITIATED, and
   * the shared attributes fw_title, fw_version, fw_size, fw_checksum (SHA-256) and
   * fw_checksum_algorithm pushed in one update to a subscribed device. A package with the same title
   * and version is reused when its data is the same; with other data it is refused, as ThingsBoard
   * refuses a second package of that title and version.
   */
  assignFirmware(deviceName: string, pkg: { title: string; version: string; data: Buffer }): OtaSummary {
    const d = this.device(deviceName);
    const { title, version, data } = pkg ?? {};
    for (const [k, v] of [["title", title], ["version", version]] as const) {
      if (typeof v !== "string" || !v || v.length > 255) throw new Error(`assignFirmware: ${k} must be a string of 1 to 255 characters, got ${JSON.stringify(v)}`);
    }
    if (!Buffer.isBuffer(data) || !data.length) throw new Error("assignFirmware: data must be a non-empty Buffer (the whole OTA package, docs/ota.md §2)");
    let p = this.packages.find(title, version);
    if (p && !(p.type === "FIRMWARE" && p.data?.bytes.equals(data))) {
      throw new Error(`assignFirmware: a package "${title}" version ${version} already exists with other content; give the new one another version`);
    }
    p ??= this.packages.add({
      type: "FIRMWARE", title, version, tag: null, deviceProfileId: this.packages.deviceProfileId, additionalInfo: null,
      data: { bytes: Buffer.from(data), fileName: `${title}-${version}.js`, contentType: "application/octet-stream", checksumAlgorithm: "SHA256", checksum: checksumOf("SHA256", data) },
    }, this.packagesInUse());
    this.setFirmware(d, p);
    return summary(p);
  }

  /** Takes the device's firmware away, as clearing it in ThingsBoard's UI does: the fw_* shared attributes go. */
  unassignFirmware(deviceName: string): void {
    this.setFirmware(this.device(deviceName), undefined);
  }

  /** The latest fw_state, fw_error, current_fw_title and current_fw_version of the device; undefined before any. */
  firmwareState(deviceName: string): FirmwareState | undefined {
    const data = this.device(deviceName).data;
    const out: FirmwareState = { ts: 0 };
    let any = false;
    for (const key of FIRMWARE_STATE_KEYS) {
      const latest = data.history(key)[0];
      if (!latest) continue;
      any = true;
      out[key] = typeof latest.value === "string" ? latest.value : JSON.stringify(latest.value);
      out.ts = Math.max(out.ts, latest.ts);
    }
    return any ? out : undefined;
  }

  /**
   * Test-only: `ignoreChunk` leaves the first request for that chunk unanswered, `closeAfterChunk` closes
   * the session right after answering that chunk; each acts once. `{}` clears both.
   */
  firmwareFaults(deviceName: string, faults: FirmwareFaults): void {
    const d = this.device(deviceName);
    for (const [k, v] of Object.entries(faults ?? {})) {
      if (k !== "ignoreChunk" && k !== "closeAfterChunk") throw new Error(`firmwareFaults: unknown fault "${k}"; use ignoreChunk or closeAfterChunk`);
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new Error(`firmwareFaults: ${k} must be a chunk number (0 or more), got ${JSON.stringify(v)}`);
    }
    d.faults = { ...faults };
  }

  isConnected(deviceName: string): boolean {
    return this.device(deviceName).session?.isOpen === true;
  }

  deviceNames(): string[] {
    return [...this.byName.keys()];
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const d of this.byName.values()) {
      for (const p of d.pendingRpc.values()) {
        clearTimeout(p.timer);
        p.reject(new RpcError("STOPPED", `RPC ${p.method} to ${d.name}: endpoint stopped`));
      }
      d.pendingRpc.clear();
    }
    const closing = this.servers.map((s) => new Promise<void>((resolve) => {
      if (!s.listening) return resolve();
      s.close(() => resolve());
      if ("closeAllConnections" in s) s.closeAllConnections();
    }));
    for (const s of this.sessions) s.close("endpoint stopped");
    await Promise.all(closing);
  }

  // ---- internals ----

  private device(name: string): DeviceState {
    const d = this.byName.get(name);
    if (!d) throw new Error(`unknown device "${name}"; known devices: ${[...this.byName.keys()].join(", ") || "(none)"}`);
    return d;
  }

  private addDevice(c: DeviceCredentials): DeviceState {
    const d: DeviceState = {
      name: c.name, token: c.token, id: randomUUID(), createdTime: Date.now(), version: 1,
      data: new DeviceData(this.o.maxEntriesPerKey ?? 10_000), nextRpcId: 1, pendingRpc: new Map(), faults: {},
    };
    this.byName.set(c.name, d);
    this.byToken.set(c.token, d);
    return d;
  }

  private packagesInUse(): Set<string> {
    return new Set([...this.byName.values()].flatMap((d) => (d.firmwareId ? [d.firmwareId] : [])));
  }

  /**
   * ThingsBoard's reaction to a device's firmware changing (DefaultOtaPackageStateService): nothing when
   * it is the same package; for a new one the target telemetry and QUEUED, INITIATED, then the fw_*
   * shared attributes; for none, those attributes deleted.
   */
  private setFirmware(d: DeviceState, p: OtaPackage | undefined): void {
    if (p?.id === d.firmwareId) return;
    d.firmwareId = p?.id;
    if (!p) {
      this.deleteSharedAttributes(d.name, FIRMWARE_ATTRIBUTE_KEYS);
      this.logLine(`${d.name}: firmware unassigned`);
      this.emit("firmwareAssigned", d.name, undefined);
      return;
    }
    const ts = Date.now();
    d.data.addTelemetry([
      { ts, values: { target_fw_title: p.title, target_fw_version: p.version, target_fw_ts: ts, fw_state: "QUEUED" } },
      { ts: Date.now(), values: { fw_state: "INITIATED" } },
    ]);
    const { set, remove } = assignmentAttributes(p as OtaPackage & { data: OtaData });
    this.deleteSharedAttributes(d.name, remove);
    this.setSharedAttributes(d.name, set);
    this.logLine(`${d.name}: firmware ${p.title} ${p.version} assigned (${p.data!.bytes.length} bytes)`);
    this.emit("firmwareAssigned", d.name, summary(p));
  }

  /** A chunk request (docs/thingsboard.md §6): PUBACK then the bytes, or the error text then a close. */
  private onChunkRequest(s: MqttSession, req: ChunkRequest, messageId: number | undefined): void {
    const d = this.device(s.device!);
    const a = answerChunk(req, s.ota, this.host.maxPacketBytes,
      (type) => (type === "fw" && d.firmwareId ? this.packages.get(d.firmwareId) : undefined), (id) => this.packages.get(id));
    if (a.kind === "error") {
      // Unsubscribed, ThingsBoard still publishes, at QoS 1.
      s.publishBytes(a.topic, Buffer.from(a.error), 1);
      return s.close(`${req.type} chunk ${req.chunk} of request ${req.requestId}: ${a.error}`);
    }
    s.acknowledge(messageId);
    if (!a.bytes) return this.logLine(`${d.name}: chunk ${req.chunk} x ${req.size} bytes lies beyond 2^31; no answer, as ThingsBoard`);
    if (d.faults.ignoreChunk === req.chunk) {
      delete d.faults.ignoreChunk;
      return this.logLine(`${d.name}: test fault: chunk ${req.chunk} left unanswered`);
    }
    s.publishBytes(a.topic, a.bytes, 1);
    this.emit("firmwareChunk", d.name, req.chunk, a.bytes.length);
    if (d.faults.closeAfterChunk === req.chunk) {
      delete d.faults.closeAfterChunk;
      s.close(`test fault: closed after chunk ${req.chunk}`);
    }
  }

  private pushToDevice(d: DeviceState, body: Record<string, unknown>): void {
    const s = d.session;
    if (s?.isOpen && s.isSubscribed(T.ATTRIBUTES)) s.publish(T.ATTRIBUTES, body);
  }

  /** Resolves with the device's raw answer text (undefined for one-way). */
  private sendRpc(deviceName: string, method: string, params: unknown, timeoutMs: number, oneway: boolean): Promise<string | undefined> {
    const d = this.byName.get(deviceName);
    if (!d) return Promise.reject(new Error(`unknown device "${deviceName}"; known devices: ${[...this.byName.keys()].join(", ") || "(none)"}`));
    if (typeof method !== "string" || !method) return Promise.reject(new Error("rpc: method must be a non-empty string"));
    if (!(timeoutMs > 0)) return Promise.reject(new Error(`rpc: timeoutMs must be a positive number of ms, got ${timeoutMs}`));
    if (oneway && !this.rpcSession(d)) {
      return Promise.reject(new RpcError("NO_ACTIVE_CONNECTION", `RPC ${method} to ${d.name}: device is not connected and subscribed to RPC`));
    }
    return new Promise((resolve, reject) => {
      const id = d.nextRpcId++;
      const pending: PendingRpc = {
        id, method, params, delivered: false, resolve, reject,
        timer: setTimeout(() => {
          d.pendingRpc.delete(id);
          reject(new RpcError("TIMEOUT", `RPC ${method} to ${d.name}: no response within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      d.pendingRpc.set(id, pending);
      this.deliverRpcs(d);
      if (oneway && pending.delivered) {
        clearTimeout(pending.timer);
        d.pendingRpc.delete(id);
        resolve(undefined);
      }
    });
  }

  private rpcSession(d: DeviceState): MqttSession | undefined {
    const s = d.session;
    return s?.isOpen && s.isSubscribed(T.RPC_REQUEST_PREFIX + "0") ? s : undefined;
  }

  private deliverRpcs(d: DeviceState): void {
    const s = this.rpcSession(d);
    if (!s) return;
    for (const p of d.pendingRpc.values()) {
      if (p.delivered) continue;
      p.delivered = true;
      s.publish(T.RPC_REQUEST_PREFIX + p.id, { method: p.method, params: p.params });
    }
  }

  private authenticate(username: string | undefined, clientId: string): AuthResult {
    if (username === T.PROVISION_USERNAME) return { code: 0, provisioning: true };
    // Token devices are found by username; with none, ThingsBoard looks up the client id (X.509/basic
    // credentials), which no device here has.
    const d = username === undefined ? undefined : this.byToken.get(username);
    if (d) return { code: 0, device: d.name };
    const code = username === undefined ? 2 : 5;
    const shown = username === undefined ? "(none)" : mask(username);
    this.logLine(`refused CONNECT (client id ${JSON.stringify(clientId)}, token ${shown}): CONNACK ${code}`);
    this.emit("refused", shown, code);
    return { code };
  }

  private provision(payload: Buffer): Record<string, unknown> {
    let req: { deviceName?: unknown; provisionDeviceKey?: unknown; provisionDeviceSecret?: unknown };
    try {
      req = JSON.parse(payload.toString("utf8"));
    } catch {
      throw new PayloadError("provision request: payload is not valid JSON");
    }
    if (typeof req !== "object" || req === null) throw new PayloadError("provision request: expected a JSON object");
    const cfg = this.o.provision;
    if (!cfg || req.provisionDeviceKey !== cfg.key || req.provisionDeviceSecret !== cfg.secret) {
      return { errorMsg: "Failed to fetch device profile for provision key", status: "NOT_FOUND" };
    }
    if (typeof req.deviceName !== "string" || !req.deviceName) return { errorMsg: "deviceName is required", status: "FAILURE" };
    if (this.byName.has(req.deviceName)) return { errorMsg: `Device ${req.deviceName} already exists`, status: "FAILURE" };
    const token = randomBytes(15).toString("base64url");
    this.addDevice({ name: req.deviceName, token });
    this.logLine(`provisioned device ${req.deviceName} with token ${mask(token)}`);
    return { credentialsValue: token, credentialsType: "ACCESS_TOKEN", status: "SUCCESS" };
  }

  private attributeResponse(device: string, req: AttributeRequest): Record<string, unknown> {
    const data = this.device(device).data;
    const out: Record<string, unknown> = {};
    if (req.clientKeys) {
      const client = data.attributeObject("client", req.clientKeys);
      if (Object.keys(client).length) out.client = client;
    }
    if (req.sharedKeys) {
      const shared = data.attributeObject("shared", req.sharedKeys);
      if (Object.keys(shared).length) out.shared = shared;
    }
    return out;
  }

  private sessionHost(): SessionHost {
    return {
      maxPacketBytes: this.o.maxPacketBytes ?? 65_536,
      idleTimeoutMs: this.o.idleTimeoutMs ?? 600_000,
      log: (line) => this.logLine(line),
      authenticate: (username, clientId) => this.authenticate(username, clientId),
      sessionOpened: (s) => this.onSessionOpened(s),
      sessionClosed: (s, reason) => this.onSessionClosed(s, reason),
      telemetryReceived: (device, entries) => {
        this.device(device).data.addTelemetry(entries);
        this.emit("telemetry", device, entries);
      },
      attributesReceived: (device, attrs) => {
        this.device(device).data.setAttributes("client", attrs, Date.now());
        this.emit("attributes", device, attrs);
      },
      attributeResponse: (device, req) => this.attributeResponse(device, req),
      rpcResponseReceived: (device, id, raw) => {
        const d = this.device(device);
        const p = d.pendingRpc.get(id);
        if (!p) return this.logLine(`${device}: RPC response ${id} matches no pending request; ignored`);
        clearTimeout(p.timer);
        d.pendingRpc.delete(id);
        p.resolve(raw);
      },
      subscribed: (s, filter) => {
        if (filter !== T.RPC_REQUEST_FILTER || !s.device) return;
        this.deliverRpcs(this.device(s.device));
      },
      provision: (payload) => this.provision(payload),
      chunkRequested: (s, req, messageId) => this.onChunkRequest(s, req, messageId),
    };
  }

  private onSessionOpened(s: MqttSession): void {
    if (s.provisioning) return this.logLine(`${s.label}: provisioning session accepted`);
    const d = this.device(s.device!);
    const older = d.session;
    d.session = s;
    if (older) older.close("replaced by a newer session with the same token"); // #14
    this.logLine(`${s.label}: device ${d.name} connected (token ${mask(d.token)})`);
    this.emit("connect", d.name);
  }

  private onSessionClosed(s: MqttSession, reason: string): void {
    this.sessions.delete(s);
    const who = s.device ? `device ${s.device}` : s.provisioning ? "provisioning session" : "connection";
    this.logLine(`${s.label}: ${who} closed: ${reason}`);
    this.emit("closed", reason);
    if (!s.device) return;
    const d = this.device(s.device);
    if (d.session !== s) return;
    d.session = undefined;
    this.emit("disconnect", d.name, reason);
  }

  private accept(socket: Socket, transport: string): void {
    const label = `${transport} ${socket.remoteAddress}:${socket.remotePort}`;
    if (this.stopped) return void socket.destroy();
    this.logLine(`${label}: connection opened`);
    const s = new MqttSession(socket, this.host, label);
    this.sessions.add(s);
  }

  private async listen(): Promise<void> {
    const host = this.o.host ?? "127.0.0.1";
    if (this.o.tls) {
      const server = createTlsServer({ cert: readPem(this.o.tls.certPath, "certificate"), key: readPem(this.o.tls.keyPath, "key") },
        (socket) => this.accept(socket, "tls"));
      server.on("tlsClientError", (e: NodeJS.ErrnoException, socket) => {
        this.logLine(`tls ${socket.remoteAddress}:${socket.remotePort}: TLS handshake failed: ${e.code ?? e.message}`);
      });
      this.ports.tls = await this.listenOn(server, host, this.o.tls.port ?? 0, "TLS");
    }
    if (this.o.tcp) {
      const server = createTcpServer((socket) => this.accept(socket, "tcp"));
      this.ports.tcp = await this.listenOn(server, host, this.o.tcp.port ?? 0, "TCP");
    }
    if (this.o.http !== false) {
      const server = createHttpApi(this.httpBackend(), (l) => this.logLine(l));
      this.ports.http = await this.listenOn(server, host, this.o.http?.port ?? 0, "HTTP");
    }
    this.logLine(`listening on ${host}: ${Object.entries(this.ports).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }

  private listenOn(server: Server | HttpServer, host: string, port: number, what: string): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) => {
        reject(new Error(`${what} port ${port} on ${host}: ${e.code === "EADDRINUSE" ? "already in use; choose another port or 0 for a free one" : e.message}`));
      });
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  private httpBackend(): HttpBackend {
    return {
      devices: () => [...this.byName.values()].map((d) => ({ name: d.name, connected: d.session?.isOpen === true })),
      data: (name) => this.byName.get(name)?.data,
      setShared: (name, attrs) => this.setSharedAttributes(name, attrs),
      deleteShared: (name, keys) => this.deleteSharedAttributes(name, keys),
      rpc: (name, method, params, timeoutMs, oneway) => this.sendRpc(name, method, params, timeoutMs, oneway),
      rest: this.restBackend(),
    };
  }

  private restBackend(): RestBackend {
    const view = (d: DeviceState): RestDevice => ({ id: d.id, name: d.name, createdTime: d.createdTime, firmwareId: d.firmwareId, version: d.version });
    return {
      tenantId: this.tenantId,
      deviceProfileId: this.packages.deviceProfileId,
      packages: this.packages,
      login: this.o.httpLogin,
      deviceByName: (name) => {
        const d = this.byName.get(name);
        return d && view(d);
      },
      deviceById: (id) => {
        for (const d of this.byName.values()) if (d.id === id) return view(d);
        return undefined;
      },
      packagesInUse: () => this.packagesInUse(),
      setFirmware: (name, packageId) => {
        const d = this.device(name);
        d.version++;
        this.setFirmware(d, packageId === undefined ? undefined : this.packages.get(packageId));
      },
    };
  }
}

/** The device's answer as JSON when it is JSON, else its text; an empty answer is undefined. */
function decodeRpcAnswer(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`TLS ${what} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e}); create one with \`npm run certs\``);
  }
}

function checkOptions(o: EndpointOptions): void {
  if (!o || typeof o !== "object") throw new Error("TbEndpoint.start: options object required");
  if (!o.tls && !o.tcp) throw new Error("TbEndpoint.start: give `tls` and/or `tcp`; with neither there is nothing to connect to");
  const host = o.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) throw new Error(`TbEndpoint.start: host ${host} is not loopback; use 127.0.0.1 or ::1`);
  for (const [k, v] of [["idleTimeoutMs", o.idleTimeoutMs], ["maxPacketBytes", o.maxPacketBytes], ["maxEntriesPerKey", o.maxEntriesPerKey]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`TbEndpoint.start: ${k} must be a positive integer, got ${v}`);
  }
  if (o.maxPacketBytes !== undefined && o.maxPacketBytes > 268_435_455) throw new Error("TbEndpoint.start: maxPacketBytes cannot exceed MQTT's 268,435,455");
}
