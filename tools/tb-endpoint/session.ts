// One MQTT connection, handled as ThingsBoard's MQTT transport handles a device session: the behaviour
// table of docs/thingsboard.md §4, row by row (rows cited as "#n").
import type { Socket } from "node:net";
import mqtt from "mqtt-packet";
import type { Packet, IConnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket } from "mqtt-packet";
import { FrameError, PacketReader } from "./framing.ts";
import { OtaSessionState, parseChunkRequest, type ChunkRequest } from "./ota.ts";
import {
  PayloadError, parseAttributeRequest, parseAttributes, parseClientRpc, parseTelemetry,
  type AttributeRequest, type TelemetryEntry,
} from "./payloads.ts";
import * as T from "./topics.ts";

export type ConnackCode = 0 | 2 | 5;

export interface AuthResult {
  code: ConnackCode;
  device?: string;
  provisioning?: boolean;
}

/** What a session needs from the endpoint that owns it. */
export interface SessionHost {
  readonly maxPacketBytes: number;
  readonly idleTimeoutMs: number;
  log(line: string): void;
  authenticate(username: string | undefined, clientId: string): AuthResult;
  sessionOpened(session: MqttSession): void;
  sessionClosed(session: MqttSession, reason: string): void;
  telemetryReceived(device: string, entries: TelemetryEntry[]): void;
  attributesReceived(device: string, attrs: Record<string, unknown>): void;
  attributeResponse(device: string, request: AttributeRequest): Record<string, unknown>;
  rpcResponseReceived(device: string, id: number, raw: string): void;
  subscribed(session: MqttSession, filter: string): void;
  provision(payload: Buffer): Record<string, unknown>;
  /** Answers a firmware/software chunk request (docs/thingsboard.md §6) through the session's methods. */
  chunkRequested(session: MqttSession, request: ChunkRequest, messageId: number | undefined): void;
}

// MQTT 5 reason codes for the 3.1.1 refusals ThingsBoard sends.
const V5_CONNACK: Record<ConnackCode, number> = { 0: 0, 2: 0x85, 5: 0x87 };
const SUBACK_FAILURE = 0x80;
const KILL_AFTER_END_MS = 1000;

export class MqttSession {
  device?: string;
  provisioning = false;
  /** filter -> granted QoS; dies with the session (subscriptions do not survive a reconnect). */
  readonly subscriptions = new Map<string, 0 | 1>();
  /** Chunk sizes and packages per firmware request id; they die with the connection, as in ThingsBoard. */
  readonly ota = new OtaSessionState();
  private readonly reader: PacketReader;
  private protocolVersion: 3 | 4 | 5 = 4;
  private connected = false;
  private closing = false;
  private reason?: string;
  private nextMessageId = 1;
  private idleTimer: NodeJS.Timeout;
  private killTimer?: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly host: SessionHost,
    readonly label: string,
  ) {
    this.reader = new PacketReader(host.maxPacketBytes);
    // #12: any traffic, either way, keeps the session; PINGREQ counts.
    this.idleTimer = setTimeout(() => this.close(`idle for ${host.idleTimeoutMs} ms`), host.idleTimeoutMs);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e: NodeJS.ErrnoException) => { this.reason ??= `socket error ${e.code ?? e.message}`; });
    socket.on("close", () => {
      clearTimeout(this.idleTimer);
      clearTimeout(this.killTimer);
      this.closing = true;
      this.host.sessionClosed(this, this.reason ?? "closed by the client");
    });
  }

  get isOpen(): boolean {
    return this.connected && !this.closing;
  }

  /** Ends the connection without DISCONNECT (ThingsBoard's reaction to every fault). */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.reason = reason;
    this.socket.pause();
    this.socket.end();
    this.killTimer = setTimeout(() => this.socket.destroy(), KILL_AFTER_END_MS);
  }

  /** Sends a PUBLISH to the device at the QoS of its matching subscription (0 when none matches). */
  publish(topic: string, body: unknown): void {
    this.publishBytes(topic, Buffer.from(JSON.stringify(body)), 0);
  }

  /**
   * Sends raw bytes at the QoS of the matching subscription, or `unsubscribedQos` when none matches
   * (ThingsBoard's own fallback is QoS 1; the firmware answers use it, docs/thingsboard.md §6).
   */
  publishBytes(topic: string, payload: Buffer, unsubscribedQos: 0 | 1): void {
    let qos: 0 | 1 | undefined;
    for (const [filter, granted] of this.subscriptions) if (T.filterMatches(filter, topic)) qos = Math.max(qos ?? 0, granted) as 0 | 1;
    qos ??= unsubscribedQos;
    const packet: IPublishPacket = { cmd: "publish", topic, payload, qos, dup: false, retain: false };
    if (qos) packet.messageId = this.takeMessageId();
    this.send(packet);
  }

  /** PUBACK for a QoS 1 or 2 PUBLISH whose handler acknowledges it itself (undefined id: QoS 0, nothing). */
  acknowledge(messageId: number | undefined): void {
    if (messageId) this.send({ cmd: "puback", messageId });
  }

  isSubscribed(topic: string): boolean {
    for (const filter of this.subscriptions.keys()) if (T.filterMatches(filter, topic)) return true;
    return false;
  }

  private takeMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id === 65535 ? 1 : id + 1;
    return id;
  }

  private send(packet: Packet): void {
    if (this.closing) return;
    this.idleTimer.refresh();
    this.socket.write(mqtt.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.idleTimer.refresh();
    let packets: Packet[];
    try {
      packets = this.reader.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      return this.close(e.message); // #15
    }
    for (const packet of packets) {
      if (this.closing) return;
      try {
        this.handle(packet);
      } catch (e) {
        if (!(e instanceof PayloadError)) throw e;
        this.close(e.message); // #6, #13
      }
    }
  }

  private handle(packet: Packet): void {
    if (!this.connected && packet.cmd !== "connect") return this.close(`${packet.cmd} before CONNECT`);
    switch (packet.cmd) {
      case "connect": return this.onConnect(packet);
      case "publish": return this.onPublish(packet);
      case "subscribe": return this.onSubscribe(packet);
      case "unsubscribe": return this.onUnsubscribe(packet);
      case "pingreq": return this.send({ cmd: "pingresp" }); // #11
      case "disconnect": return this.close("client sent DISCONNECT");
      case "puback": case "pubrec": case "pubrel": case "pubcomp":
        return; // acknowledgements of our QoS 1 sends need no bookkeeping here
      default: return this.close(`unexpected ${packet.cmd} packet`);
    }
  }

  private onConnect(p: IConnectPacket): void {
    if (this.connected) return this.close("second CONNECT on the same connection");
    this.protocolVersion = p.protocolVersion === 5 ? 5 : p.protocolVersion === 3 ? 3 : 4;
    // #16: a Last Will is accepted and never published; the password and client id are not checked.
    const auth = this.host.authenticate(p.username, p.clientId);
    const ack = this.protocolVersion === 5
      ? { cmd: "connack" as const, sessionPresent: false, reasonCode: V5_CONNACK[auth.code] }
      : { cmd: "connack" as const, sessionPresent: false, returnCode: auth.code };
    this.send(ack);
    if (auth.code !== 0) return this.close(`CONNACK ${auth.code}`); // #2, #3
    this.connected = true;
    this.device = auth.device;
    this.provisioning = auth.provisioning === true;
    this.host.sessionOpened(this); // #1, #4, #14
  }

  private onPublish(p: IPublishPacket): void {
    const payload = typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload;
    // #16: the retain flag is ignored.
    const messageId = p.qos > 0 ? p.messageId : undefined;
    if (this.provisioning) this.onProvisionPublish(p.topic, payload);
    else if (this.onDevicePublish(p.topic, payload, this.device!, messageId) === "acknowledged") return;
    // #5, #7, #8: QoS 1 and QoS 2 both get a PUBACK with the same id, after the payload was handled.
    if (messageId && !this.closing) this.send({ cmd: "puback", messageId });
  }

  /** "acknowledged" when the handler sent the PUBACK itself (a chunk answer must follow its PUBACK). */
  private onDevicePublish(topic: string, payload: Buffer, device: string, messageId: number | undefined): void | "acknowledged" {
    if (topic === T.TELEMETRY) return this.host.telemetryReceived(device, parseTelemetry(payload, Date.now()));
    if (topic === T.ATTRIBUTES) return this.host.attributesReceived(device, parseAttributes(payload));
    if (topic.startsWith(T.ATTRIBUTE_REQUEST_PREFIX)) {
      const id = T.requestId(topic, T.ATTRIBUTE_REQUEST_PREFIX);
      if (id === undefined) throw new PayloadError(`attribute request id in "${topic}" is not an integer`); // #13
      const body = this.host.attributeResponse(device, parseAttributeRequest(payload));
      return this.publish(T.ATTRIBUTE_RESPONSE_PREFIX + id, body);
    }
    if (topic.startsWith(T.RPC_RESPONSE_PREFIX)) {
      const id = T.requestId(topic, T.RPC_RESPONSE_PREFIX);
      if (id === undefined) throw new PayloadError(`RPC response id in "${topic}" is not an integer`);
      return this.host.rpcResponseReceived(device, id, payload.toString("utf8"));
    }
    if (topic.startsWith(T.RPC_REQUEST_PREFIX)) {
      const id = T.requestId(topic, T.RPC_REQUEST_PREFIX);
      if (id === undefined) throw new PayloadError(`client-side RPC id in "${topic}" is not an integer`);
      return this.onClientRpc(id, payload);
    }
    const chunk = parseChunkRequest(topic, payload);
    if (chunk) {
      this.host.chunkRequested(this, chunk, messageId);
      return "acknowledged";
    }
    // #7: any other topic is acknowledged and ignored.
  }

  /** Built-in client-side RPC methods; others would need a rule chain, so they get no answer. */
  private onClientRpc(id: number, payload: Buffer): void {
    const { method } = parseClientRpc(payload);
    const topic = T.RPC_RESPONSE_PREFIX + id;
    // The documented rule-chain example answers getCurrentTime with the bare epoch in ms.
    if (method === "getCurrentTime") return this.publish(topic, Date.now());
    if (method === "getSessionLimits") {
      return this.publish(topic, { maxPayloadSize: this.host.maxPacketBytes, maxInflightMessages: 100, rateLimits: {} });
    }
    this.host.log(`${this.label}: client-side RPC "${method}" has no rule chain here; no answer`);
  }

  private onProvisionPublish(topic: string, payload: Buffer): void {
    if (topic !== T.PROVISION_REQUEST) throw new PayloadError(`provisioning session published to "${topic}"; only ${T.PROVISION_REQUEST} is accepted`);
    this.publish(T.PROVISION_RESPONSE, this.host.provision(payload));
  }

  private onSubscribe(p: ISubscribePacket): void {
    const granted = p.subscriptions.map((s) => {
      if (!T.isSupportedFilter(s.topic, this.provisioning)) return SUBACK_FAILURE; // #10
      const qos = Math.min(s.qos, 1) as 0 | 1; // #9
      this.subscriptions.set(s.topic, qos);
      return qos;
    });
    this.send({ cmd: "suback", messageId: p.messageId, granted });
    for (const s of p.subscriptions) if (this.subscriptions.has(s.topic)) this.host.subscribed(this, s.topic);
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    for (const filter of p.unsubscriptions) this.subscriptions.delete(filter);
    const ack = this.protocolVersion === 5
      ? { cmd: "unsuback" as const, messageId: p.messageId, granted: p.unsubscriptions.map(() => 0) }
      : { cmd: "unsuback" as const, messageId: p.messageId, granted: [] };
    this.send(ack);
  }
}
