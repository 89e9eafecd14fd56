// What the live page shows of one device, kept up to date from the local endpoint's programmatic API:
// connection, last activity, attributes, the latest getStatus answer (asked for periodically while
// the device is connected), the firmware update's state and telemetry as it arrives. Listeners get
// each change as a small event.
import type { FirmwareState, TbEndpoint, TelemetryEntry } from "../tb-endpoint/index.ts";

export interface DeviceState {
  name: string;
  connected: boolean;
  connectedSince: number | null;
  /** Last time anything came from the device (connect, telemetry, attributes, an RPC answer). */
  lastSeen: number | null;
  connects: number;
  disconnects: number;
  lastDisconnect: { at: number; reason: string } | null;
  /** The device's latest getStatus answer and when it came. */
  status: { at: number; value: unknown } | null;
  client: Record<string, unknown>;
  shared: Record<string, unknown>;
  /** The telemetry interval in force: as getStatus reported it ("device"), or as the page just set it. */
  interval: { ms: number; from: string } | null;
  /** The latest fw_state, fw_error, current_fw_title and current_fw_version (docs/thingsboard.md §6). */
  firmware: FirmwareState | null;
}

export type ViewEvent =
  | { type: "device"; device: DeviceState }
  | { type: "telemetry"; entries: TelemetryEntry[] };

export interface DeviceViewOptions {
  endpoint: TbEndpoint;
  deviceName: string;
  /** How often getStatus is asked while connected; 0 = never. */
  statusEveryMs: number;
  rpcTimeoutMs: number;
}

export class DeviceView {
  private readonly listeners = new Set<(e: ViewEvent) => void>();
  private readonly state: DeviceState;
  private statusTimer?: NodeJS.Timeout;
  private statusBusy = false;
  private closed = false;
  private readonly off: Array<() => void> = [];

  constructor(private readonly o: DeviceViewOptions) {
    this.state = {
      name: o.deviceName, connected: this.known() && o.endpoint.isConnected(o.deviceName), connectedSince: null, lastSeen: null,
      connects: 0, disconnects: 0, lastDisconnect: null, status: null, client: {}, shared: {}, interval: null, firmware: null,
    };
    this.readAttributes();
    this.readFirmware();
    this.on(o.endpoint, "connect", (name: string) => {
      if (name !== o.deviceName) return;
      const now = Date.now();
      Object.assign(this.state, { connected: true, connectedSince: now, lastSeen: now, connects: this.state.connects + 1 });
      this.changed();
      this.askStatus();
    });
    this.on(o.endpoint, "disconnect", (name: string, reason: string) => {
      if (name !== o.deviceName) return;
      Object.assign(this.state, { connected: false, connectedSince: null, disconnects: this.state.disconnects + 1, lastDisconnect: { at: Date.now(), reason } });
      this.changed();
    });
    this.on(o.endpoint, "telemetry", (name: string, entries: TelemetryEntry[]) => {
      if (name !== o.deviceName) return;
      this.state.lastSeen = Date.now();
      this.readFirmware();
      this.emit({ type: "telemetry", entries });
      this.changed();
    });
    // An assignment sets the fw_* shared attributes and the server's own fw_state (QUEUED, INITIATED).
    this.on(o.endpoint, "firmwareAssigned", (name: string) => {
      if (name !== o.deviceName) return;
      this.readAttributes();
      this.readFirmware();
      this.changed();
    });
    this.on(o.endpoint, "attributes", (name: string) => {
      if (name !== o.deviceName) return;
      this.state.lastSeen = Date.now();
      this.readAttributes();
      this.changed();
    });
    if (o.statusEveryMs > 0) this.statusTimer = setInterval(() => this.askStatus(), o.statusEveryMs);
  }

  device(): DeviceState {
    return structuredClone(this.state);
  }

  /** Telemetry stored so far, at most the newest `limit` entries. */
  history(limit: number): TelemetryEntry[] {
    return this.known() ? this.o.endpoint.telemetry(this.o.deviceName).slice(-limit) : [];
  }

  subscribe(listener: (e: ViewEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Two-way RPC through the endpoint; a getStatus answer also updates the status shown. */
  async rpc(method: string, params: unknown): Promise<unknown> {
    const value = await this.o.endpoint.rpc(this.o.deviceName, method, params, this.o.rpcTimeoutMs);
    this.state.lastSeen = Date.now();
    const answer = value && typeof value === "object" && !("error" in value) ? value as Record<string, unknown> : undefined;
    if (method === "getStatus" && answer) {
      this.state.status = { at: Date.now(), value: answer };
      // The firmware's own word on the interval in force (older firmware leaves it out).
      if (typeof answer.intervalMs === "number") this.state.interval = { ms: answer.intervalMs, from: "device" };
    }
    if (method === "setTelemetryInterval" && typeof answer?.telemetryIntervalMs === "number") {
      this.state.interval = { ms: answer.telemetryIntervalMs, from: "RPC" };
    }
    this.changed();
    return value;
  }

  setShared(attrs: Record<string, unknown>): void {
    this.o.endpoint.setSharedAttributes(this.o.deviceName, attrs);
    this.readAttributes();
    // The firmware applies the value when it is in its range (the page server checks the same range).
    if (typeof attrs.telemetryIntervalMs === "number" && this.state.connected) {
      this.state.interval = { ms: attrs.telemetryIntervalMs, from: "shared attribute" };
    }
    this.changed();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.statusTimer);
    for (const f of this.off) f();
    this.listeners.clear();
  }

  private askStatus(): void {
    if (this.statusBusy || this.closed || !this.known() || !this.o.endpoint.isConnected(this.o.deviceName)) return;
    this.statusBusy = true;
    // A device without a getStatus handler (older firmware) answers {"error"} or times out: keep quiet.
    this.rpc("getStatus", {}).catch(() => {}).finally(() => { this.statusBusy = false; });
  }

  /** False until a provisioning board has made its device exist. */
  private known(): boolean {
    return this.o.endpoint.deviceNames().includes(this.o.deviceName);
  }

  private readFirmware(): void {
    if (!this.known()) return;
    this.state.firmware = this.o.endpoint.firmwareState(this.o.deviceName) ?? null;
  }

  private readAttributes(): void {
    if (!this.known()) return;
    this.state.client = this.o.endpoint.attributes(this.o.deviceName, "client");
    this.state.shared = this.o.endpoint.attributes(this.o.deviceName, "shared");
  }

  private changed(): void {
    this.emit({ type: "device", device: this.device() });
  }

  private emit(e: ViewEvent): void {
    if (this.closed) return;
    for (const l of this.listeners) l(e);
  }

  private on(ep: TbEndpoint, event: string, f: (...args: any[]) => void): void {
    ep.on(event, f);
    this.off.push(() => ep.off(event, f));
  }
}
