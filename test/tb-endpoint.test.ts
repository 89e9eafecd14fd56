// The local ThingsBoard-compatible endpoint against real clients: MQTT.js over TLS and TCP, and raw
// sockets speaking mqtt-packet for stimuli MQTT.js will not send. Rows "#n" are those of the behaviour
// table in docs/thingsboard.md §4.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import mqtt, { type MqttClient } from "mqtt";
import mqttPacket, { type Packet } from "mqtt-packet";
import fc from "fast-check";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint, RpcError, loadDevicesFile, validateDevices } from "../tools/tb-endpoint/index.ts";
import { PacketReader, FrameError } from "../tools/tb-endpoint/framing.ts";
import { parseTelemetry, PayloadError } from "../tools/tb-endpoint/payloads.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "tb-endpoint");
const TOKEN = "A1_TEST_TOKEN_abcdef";
const TOKEN2 = "B2_TEST_TOKEN_uvwxyz";
const WAIT_MS = 3000;

let certDir: string;
let cert: { certPath: string; keyPath: string };
let ep: TbEndpoint;
const logLines: string[] = [];

before(() => {
  certDir = mkdtempSync(join(tmpdir(), "tb-endpoint-test-"));
  cert = generateSelfSigned({ host: "127.0.0.1", outDir: certDir, keyType: "ec" });
});
after(() => rmSync(certDir, { recursive: true, force: true }));

/** A fresh endpoint per describe block keeps device state independent. */
async function startEndpoint(extra: Partial<Parameters<typeof TbEndpoint.start>[0]> = {}): Promise<TbEndpoint> {
  return TbEndpoint.start({
    devices: [{ name: "dev1", token: TOKEN }, { name: "dev2", token: TOKEN2 }],
    tls: { ...cert },
    tcp: {},
    log: (l) => logLines.push(l),
    ...extra,
  });
}

function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]);
}

// ---- raw MQTT client over a real socket ----

class RawClient {
  private readonly packets: Packet[] = [];
  private waiter?: () => void;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p: Packet) => { this.packets.push(p); this.waiter?.(); });
    socket.on("data", (d: Buffer) => parser.parse(d));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => socket.on("close", () => { this.isClosed = true; this.waiter?.(); resolve(); }));
  }

  static async open(port: number, transport: "tls" | "tcp"): Promise<RawClient> {
    const socket = transport === "tls"
      ? tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(cert.certPath) })
      : netConnect({ host: "127.0.0.1", port });
    await withTimeout(once(socket, transport === "tls" ? "secureConnect" : "connect"), "socket connect");
    return new RawClient(socket);
  }

  /** Opens a socket and sends CONNECT with `username`; returns the client and the CONNACK. */
  static async connect(port: number, transport: "tls" | "tcp", connect: Partial<mqttPacket.IConnectPacket> = {}): Promise<[RawClient, Packet]> {
    const c = await RawClient.open(port, transport);
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "raw", keepalive: 0, ...connect });
    return [c, await c.next()];
  }

  send(p: Packet): void {
    this.socket.write(mqttPacket.generate(p));
  }

  async next(ms = WAIT_MS): Promise<Packet> {
    const deadline = Date.now() + ms;
    while (!this.packets.length) {
      if (this.isClosed) throw new Error("connection closed while waiting for a packet");
      if (Date.now() > deadline) throw new Error("timed out waiting for a packet");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => { clearTimeout(t); resolve(); };
      });
    }
    return this.packets.shift()!;
  }

  /** Resolves when the server closes the socket; fails if it stays open. */
  async expectClose(what: string): Promise<void> {
    await withTimeout(this.closed, `server to close the connection (${what})`);
  }

  received(): Packet[] {
    return this.packets.splice(0);
  }

  end(): void {
    this.socket.destroy();
  }
}

function publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 1, messageId = 7, retain = false): Packet {
  return { cmd: "publish", topic, payload, qos, messageId, dup: false, retain };
}

async function mqttClient(port: number, transport: "tls" | "tcp", username = TOKEN): Promise<MqttClient> {
  const url = `${transport === "tls" ? "mqtts" : "mqtt"}://127.0.0.1:${port}`;
  return mqtt.connectAsync(url, { username, reconnectPeriod: 0, connectTimeout: WAIT_MS, ca: readFileSync(cert.certPath), clientId: `t${Math.random()}` });
}

async function waitFor(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nextMessage(client: MqttClient, topicPrefix: string): Promise<{ topic: string; body: unknown }> {
  return withTimeout(new Promise((resolve) => {
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!topic.startsWith(topicPrefix)) return;
      client.off("message", onMessage);
      resolve({ topic, body: JSON.parse(payload.toString()) });
    };
    client.on("message", onMessage);
  }), `a message on ${topicPrefix}`);
}

// ---- the behaviour table over TLS ----

describe("behaviour table over TLS", () => {
  before(async () => { ep = await startEndpoint(); });
  after(async () => { await ep.stop(); });
  const port = (): number => ep.ports.tls!;

  test("#1 known token: CONNACK 0, connect event, isConnected", async () => {
    const connected = once(ep, "connect");
    const client = await mqttClient(port(), "tls");
    assert.deepEqual(await withTimeout(connected, "connect event"), ["dev1"]);
    assert.equal(ep.isConnected("dev1"), true);
    const disconnected = once(ep, "disconnect");
    await client.endAsync();
    const [name] = await withTimeout(disconnected, "disconnect event");
    assert.equal(name, "dev1");
    assert.equal(ep.isConnected("dev1"), false);
  });

  test("#2 unknown or empty token: CONNACK 5 then TCP close, token masked in the event", async () => {
    for (const [username, shown] of [["WRONG_TOKEN_123456789", "WR***"], ["", "***"]] as const) {
      const refused = once(ep, "refused");
      const [c, ack] = await RawClient.connect(port(), "tls", { username });
      assert.equal(ack.cmd, "connack");
      assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 5);
      await c.expectClose("after CONNACK 5");
      const [masked, code] = await withTimeout(refused, "refused event");
      assert.equal(code, 5);
      assert.equal(masked, shown, "masked as src/mask.ts masks secrets");
      if (username) assert.ok(!String(masked).includes(username), "the token is not shown in full");
    }
  });

  test("#2 MQTT.js sees the refusal as return code 5", async () => {
    await assert.rejects(mqttClient(port(), "tls", "NOT_A_TOKEN"), (e: Error & { code?: number }) => e.code === 5);
  });

  test("#3 no username: CONNACK 2 then close", async () => {
    const [c, ack] = await RawClient.connect(port(), "tls");
    assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 2);
    await c.expectClose("after CONNACK 2");
  });

  test("#4 username provision: CONNACK 0, NOT_FOUND without a configured key, only provisioning allowed", async () => {
    const [c, ack] = await RawClient.connect(port(), "tls", { username: "provision" });
    assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 0);
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "/provision/response", qos: 1 }, { topic: "v1/devices/me/attributes", qos: 1 }] });
    assert.deepEqual((await c.next() as mqttPacket.ISubackPacket).granted, [1, 0x80]);
    c.send(publish("/provision/request", JSON.stringify({ deviceName: "new", provisionDeviceKey: "k", provisionDeviceSecret: "s" })));
    const res = await c.next() as mqttPacket.IPublishPacket;
    assert.equal(res.topic, "/provision/response");
    assert.equal(JSON.parse(res.payload.toString()).status, "NOT_FOUND");
    assert.equal((await c.next()).cmd, "puback");
    c.send(publish("v1/devices/me/telemetry", '{"a":1}'));
    await c.expectClose("telemetry from a provisioning session");
  });

  test("#5 telemetry: object, {ts, values}, arrays; numeric strings cast, nulls dropped; PUBACK once stored", async () => {
    const client = await mqttClient(port(), "tls");
    try {
      const before = Date.now();
      await client.publishAsync("v1/devices/me/telemetry", JSON.stringify({ temperature: 25, humidity: "26.5", gone: null, label: "1e3" }), { qos: 1 });
      // PUBACK arrived, so the entry is stored already.
      const stored = ep.telemetry("dev1");
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0]!.values, { temperature: 25, humidity: 26.5, label: "1e3" });
      assert.ok(stored[0]!.ts >= before && stored[0]!.ts <= Date.now(), "server time for entries without ts");
      await client.publishAsync("v1/devices/me/telemetry", JSON.stringify([
        { ts: 1000, values: { temperature: 25.5 } }, { ts: 2000, values: { temperature: 26 } }, { ts: 3000, other: 1 },
      ]), { qos: 1 });
      const all = ep.telemetry("dev1");
      assert.deepEqual(all.slice(1, 3), [{ ts: 1000, values: { temperature: 25.5 } }, { ts: 2000, values: { temperature: 26 } }]);
      // Without both keys an object is plain values, its "ts" a value like any other.
      assert.deepEqual(all[3]!.values, { ts: 3000, other: 1 });
      // "1.0" would become the number 1, as ThingsBoard casts it; a dotted version stays text.
      await client.publishAsync("v1/devices/me/attributes", JSON.stringify({ fw: "1.0.2", ram: "512", ver: "2.5", none: null }), { qos: 1 });
      assert.deepEqual(ep.attributes("dev1", "client"), { fw: "1.0.2", ram: 512, ver: 2.5 });
    } finally {
      await client.endAsync();
    }
  });

  for (const [what, payload] of [["invalid JSON", "{temperature: 1"], ["a primitive", "42"], ["an array of non-objects", "[1,2]"], ["null", "null"]] as const) {
    for (const topic of ["v1/devices/me/telemetry", "v1/devices/me/attributes"]) {
      test(`#6 ${what} on ${topic}: TCP close, no PUBACK, nothing stored`, async () => {
        const before = ep.telemetry("dev2").length;
        const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
        c.send(publish(topic, payload));
        await c.expectClose(what);
        assert.deepEqual(c.received(), [], "no PUBACK");
        assert.equal(ep.telemetry("dev2").length, before);
      });
    }
  }

  test("#6 telemetry with a non-integer ts closes the connection", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    c.send(publish("v1/devices/me/telemetry", '{"ts":"soon","values":{"a":1}}'));
    await c.expectClose("bad ts");
  });

  test("#7 other topic: PUBACK, payload ignored, session kept", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    c.send(publish("some/other/topic", "not json at all", 1, 42));
    const ack = await c.next();
    assert.deepEqual([ack.cmd, ack.messageId], ["puback", 42]);
    c.send({ cmd: "pingreq" });
    assert.equal((await c.next()).cmd, "pingresp", "session still alive");
    c.end();
  });

  test("#8 QoS 2 publish: PUBACK (not PUBREC) with the same packet id", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    c.send(publish("v1/devices/me/telemetry", '{"q2":1}', 2, 321));
    const ack = await c.next();
    assert.equal(ack.cmd, "puback");
    assert.equal(ack.messageId, 321);
    assert.deepEqual(ep.telemetry("dev2").at(-1)!.values, { q2: 1 });
    c.end();
  });

  test("#9 #10 SUBSCRIBE: supported filters granted min(qos,1), others 0x80, session kept", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    c.send({ cmd: "subscribe", messageId: 5, subscriptions: [
      { topic: "v1/devices/me/attributes", qos: 2 },
      { topic: "v1/devices/me/attributes/response/+", qos: 0 },
      { topic: "v1/devices/me/rpc/request/+", qos: 1 },
      { topic: "v1/devices/me/rpc/response/+", qos: 1 },
      { topic: "v2/fw/response/+/chunk/+", qos: 1 },
      { topic: "#", qos: 1 },
      { topic: "v1/devices/me/unknown", qos: 0 },
      { topic: "v1/devices/me/rpc/request/#", qos: 1 },
    ] });
    const ack = await c.next() as mqttPacket.ISubackPacket;
    assert.equal(ack.messageId, 5);
    assert.deepEqual(ack.granted, [1, 0, 1, 1, 1, 0x80, 0x80, 0x80]);
    c.send({ cmd: "pingreq" });
    assert.equal((await c.next()).cmd, "pingresp");
    c.end();
  });

  test("#11 PINGREQ: PINGRESP", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    for (let i = 0; i < 3; i++) {
      c.send({ cmd: "pingreq" });
      assert.equal((await c.next()).cmd, "pingresp");
    }
    c.end();
  });

  test("#13 attribute request: non-integer id closes, empty payload closes", async () => {
    for (const [topic, payload] of [
      ["v1/devices/me/attributes/request/abc", "{}"],
      ["v1/devices/me/attributes/request/1.5", "{}"],
      ["v1/devices/me/attributes/request/", "{}"],
      ["v1/devices/me/attributes/request/3", ""],
    ] as const) {
      const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
      c.send(publish(topic, payload));
      await c.expectClose(`${topic} ${JSON.stringify(payload)}`);
      assert.deepEqual(c.received(), [], "no PUBACK");
    }
  });

  test("attribute request answered on .../response/<id>: requested sections, empty ones left out, {} = all", async () => {
    ep.setSharedAttributes("dev1", { telemetryIntervalMs: 5000, mode: "eco" });
    const client = await mqttClient(port(), "tls");
    try {
      await client.publishAsync("v1/devices/me/attributes", JSON.stringify({ fw: "v2" }), { qos: 1 });
      await client.subscribeAsync("v1/devices/me/attributes/response/+", { qos: 1 });
      const ask = async (id: number, req: unknown): Promise<unknown> => {
        const reply = nextMessage(client, `v1/devices/me/attributes/response/${id}`);
        await client.publishAsync(`v1/devices/me/attributes/request/${id}`, JSON.stringify(req), { qos: 1 });
        return (await reply).body;
      };
      assert.deepEqual(await ask(1, { sharedKeys: "telemetryIntervalMs" }), { shared: { telemetryIntervalMs: 5000 } });
      assert.deepEqual(await ask(2, { clientKeys: "fw,missing", sharedKeys: "mode, telemetryIntervalMs" }),
        { client: { fw: "v2" }, shared: { mode: "eco", telemetryIntervalMs: 5000 } });
      const everything = await ask(3, {}) as { client: Record<string, unknown>; shared: Record<string, unknown> };
      assert.deepEqual(everything, { client: ep.attributes("dev1", "client"), shared: { telemetryIntervalMs: 5000, mode: "eco" } });
      assert.equal(everything.client.fw, "v2");
      assert.deepEqual(await ask(4, { sharedKeys: "nope" }), {});
    } finally {
      await client.endAsync();
    }
  });

  test("#14 a second CONNECT with the same token closes the older session", async () => {
    const [first] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    const closedReason = once(ep, "closed");
    const [second, ack] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 0);
    await first.expectClose("older session");
    assert.match(String((await withTimeout(closedReason, "closed event"))[0]), /replaced/);
    assert.equal(ep.isConnected("dev2"), true, "the newer session stays");
    second.send({ cmd: "pingreq" });
    assert.equal((await second.next()).cmd, "pingresp");
    second.end();
  });

  test("a second CONNECT on the same connection is a protocol violation: close", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "raw", keepalive: 0, username: TOKEN2 });
    await c.expectClose("second CONNECT");
  });

  test("#15 a packet announcing more than 65,536 bytes closes before its body is sent", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    const full = mqttPacket.generate(publish("v1/devices/me/telemetry", Buffer.alloc(65_537 - (2 + 23) - 2, 0x20)));
    assert.equal(full.length, 1 + 3 + 65_537, "remaining length is 65,537");
    // Only the fixed header and a few bytes: the server must decide from the header alone.
    c.socket.write(full.subarray(0, 10));
    await c.expectClose("oversized header");
    assert.deepEqual(c.received(), []);
  });

  test("#15 a packet of exactly 65,536 bytes remaining length is accepted", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    const topic = "x/large";
    const payloadBytes = 65_536 - (2 + topic.length) - 2;
    const packet = mqttPacket.generate(publish(topic, Buffer.alloc(payloadBytes, 0x41), 1, 9));
    assert.equal(packet.length, 1 + 3 + 65_536, "remaining length is exactly 65,536");
    c.socket.write(packet);
    assert.deepEqual((await c.next()).cmd, "puback");
    c.end();
  });

  test("garbage bytes close the connection", async () => {
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN2 });
    c.socket.write(Buffer.from([0x00, 0x02, 0xff, 0xff]));
    await c.expectClose("garbage");
    const raw = await RawClient.open(port(), "tls");
    raw.socket.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    await raw.expectClose("HTTP on the MQTT port");
  });

  test("#16 retain flag and Last Will are ignored", async () => {
    const count = ep.telemetry("dev2").length;
    const [c] = await RawClient.connect(port(), "tls", {
      username: TOKEN2, will: { topic: "v1/devices/me/telemetry", payload: Buffer.from('{"will":1}'), qos: 1, retain: true },
    });
    c.send(publish("v1/devices/me/telemetry", '{"retained":1}', 1, 11, true));
    assert.equal((await c.next()).cmd, "puback");
    c.end(); // abrupt close: a broker honouring the Will would publish it now
    await waitFor(() => !ep.isConnected("dev2"), "dev2 disconnect");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(ep.telemetry("dev2").slice(count).map((e) => e.values), [{ retained: 1 }]);
    // A retained message is not replayed to a later subscriber either.
    const client = await mqttClient(port(), "tls", TOKEN2);
    const got: string[] = [];
    client.on("message", (t) => got.push(t));
    await client.subscribeAsync("v1/devices/me/attributes");
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, []);
    await client.endAsync();
  });

  test("client-side RPC: getCurrentTime and getSessionLimits answered, others not", async () => {
    const client = await mqttClient(port(), "tls");
    try {
      await client.subscribeAsync("v1/devices/me/rpc/response/+", { qos: 1 });
      let reply = nextMessage(client, "v1/devices/me/rpc/response/7");
      const before = Date.now();
      await client.publishAsync("v1/devices/me/rpc/request/7", JSON.stringify({ method: "getCurrentTime", params: {} }), { qos: 1 });
      const time = (await reply).body as number;
      assert.ok(typeof time === "number" && time >= before && time <= Date.now());
      reply = nextMessage(client, "v1/devices/me/rpc/response/8");
      await client.publishAsync("v1/devices/me/rpc/request/8", JSON.stringify({ method: "getSessionLimits", params: {} }), { qos: 1 });
      assert.deepEqual((await reply).body, { maxPayloadSize: 65536, maxInflightMessages: 100, rateLimits: {} });
      const got: string[] = [];
      client.on("message", (t) => got.push(t));
      await client.publishAsync("v1/devices/me/rpc/request/9", JSON.stringify({ method: "getWeather", params: {} }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, []);
    } finally {
      await client.endAsync();
    }
  });

  test("shared attribute push to a subscribed session, deletions as {deleted: [...]}", async () => {
    const client = await mqttClient(port(), "tls");
    try {
      await client.subscribeAsync("v1/devices/me/attributes", { qos: 1 });
      let msg = nextMessage(client, "v1/devices/me/attributes");
      ep.setSharedAttributes("dev1", { telemetryIntervalMs: 2000 });
      assert.deepEqual((await msg).body, { telemetryIntervalMs: 2000 });
      assert.equal(ep.attributes("dev1", "shared").telemetryIntervalMs, 2000);
      msg = nextMessage(client, "v1/devices/me/attributes");
      ep.deleteSharedAttributes("dev1", ["telemetryIntervalMs", "neverSet"]);
      assert.deepEqual((await msg).body, { deleted: ["telemetryIntervalMs"] });
      assert.equal("telemetryIntervalMs" in ep.attributes("dev1", "shared"), false);
    } finally {
      await client.endAsync();
    }
  });

  test("subscriptions do not survive a reconnect", async () => {
    const first = await mqttClient(port(), "tls");
    await first.subscribeAsync("v1/devices/me/attributes", { qos: 1 });
    await first.endAsync();
    const [c] = await RawClient.connect(port(), "tls", { username: TOKEN, clean: false, clientId: "same" });
    ep.setSharedAttributes("dev1", { afterReconnect: true });
    c.send({ cmd: "pingreq" });
    assert.equal((await c.next()).cmd, "pingresp", "no PUBLISH arrives before the PINGRESP");
    c.end();
  });

  test("server-side RPC round trip, a request waiting for the subscription, and a timeout", async () => {
    const client = await mqttClient(port(), "tls");
    try {
      // Sent before the device subscribes: delivered once it does (ThingsBoard queues until then).
      const early = ep.rpc("dev1", "getStatus", { verbose: true }, 2000);
      client.on("message", (topic, payload) => {
        const id = topic.split("/").pop();
        const req = JSON.parse(payload.toString()) as { method: string; params: unknown };
        if (req.method === "ignoreMe") return;
        client.publish(`v1/devices/me/rpc/response/${id}`, JSON.stringify({ method: req.method, echo: req.params }), { qos: 1 }, () => {});
      });
      await client.subscribeAsync("v1/devices/me/rpc/request/+", { qos: 1 });
      assert.deepEqual(await early, { method: "getStatus", echo: { verbose: true } });
      assert.deepEqual(await ep.rpc("dev1", "setTelemetryInterval", 3000), { method: "setTelemetryInterval", echo: 3000 });
      const t0 = Date.now();
      await assert.rejects(ep.rpc("dev1", "ignoreMe", {}, 200), (e: unknown) => e instanceof RpcError && e.code === "TIMEOUT");
      assert.ok(Date.now() - t0 >= 190, "waited for the timeout");
    } finally {
      await client.endAsync();
    }
    await assert.rejects(ep.rpc("nobody", "x", {}), /unknown device "nobody"/);
    await assert.rejects(ep.rpc("dev1", "x", {}, 0), /timeoutMs must be a positive/);
  });
});

describe("provisioning with a configured key and secret", () => {
  let prov: TbEndpoint;
  before(async () => { prov = await startEndpoint({ provision: { key: "pk", secret: "ps" }, tls: undefined, http: false }); });
  after(async () => { await prov.stop(); });

  async function provision(body: string): Promise<RawClient> {
    const [c] = await RawClient.connect(prov.ports.tcp!, "tcp", { username: "provision" });
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "/provision/response", qos: 0 }] });
    assert.equal((await c.next()).cmd, "suback");
    c.send(publish("/provision/request", body, 0));
    return c;
  }

  test("right key and secret create the device and return its token; it can then connect", async () => {
    const c = await provision(JSON.stringify({ deviceName: "fresh", provisionDeviceKey: "pk", provisionDeviceSecret: "ps" }));
    const res = JSON.parse((await c.next() as mqttPacket.IPublishPacket).payload.toString()) as Record<string, string>;
    c.end();
    assert.equal(res.status, "SUCCESS");
    assert.equal(res.credentialsType, "ACCESS_TOKEN");
    const client = await mqttClient(prov.ports.tcp!, "tcp", res.credentialsValue);
    await client.publishAsync("v1/devices/me/telemetry", '{"hello":1}', { qos: 1 });
    await client.endAsync();
    assert.deepEqual(prov.telemetry("fresh").map((e) => e.values), [{ hello: 1 }]);
    const again = await provision(JSON.stringify({ deviceName: "fresh", provisionDeviceKey: "pk", provisionDeviceSecret: "ps" }));
    assert.equal(JSON.parse((await again.next() as mqttPacket.IPublishPacket).payload.toString()).status, "FAILURE");
    again.end();
  });

  test("a wrong secret is NOT_FOUND; invalid JSON closes the session", async () => {
    const c = await provision(JSON.stringify({ deviceName: "x", provisionDeviceKey: "pk", provisionDeviceSecret: "nope" }));
    assert.equal(JSON.parse((await c.next() as mqttPacket.IPublishPacket).payload.toString()).status, "NOT_FOUND");
    c.end();
    const bad = await provision("{not json");
    await bad.expectClose("invalid provision JSON");
  });
});

// ---- idle timeout (#12) ----

describe("#12 idle close", () => {
  let idleEp: TbEndpoint;
  before(async () => { idleEp = await startEndpoint({ idleTimeoutMs: 300, tls: undefined, http: false }); });
  after(async () => { await idleEp.stop(); });

  test("a silent session is closed; PINGREQ keeps it open", async () => {
    const [quiet] = await RawClient.connect(idleEp.ports.tcp!, "tcp", { username: TOKEN });
    const [pinging] = await RawClient.connect(idleEp.ports.tcp!, "tcp", { username: TOKEN2 });
    const t0 = Date.now();
    const timer = setInterval(() => pinging.send({ cmd: "pingreq" }), 100);
    try {
      await quiet.expectClose("idle");
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 250, `closed after ${elapsed} ms, not before the timeout`);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(pinging.isClosed, false, "pinging session stays open past the timeout");
    } finally {
      clearInterval(timer);
      pinging.end();
    }
    assert.ok(logLines.some((l) => /idle for 300 ms/.test(l)), "close reason logged");
  });
});

// ---- plain TCP ----

describe("plain TCP", () => {
  before(async () => { ep = await startEndpoint({ tls: undefined }); });
  after(async () => { await ep.stop(); });

  test("#1 #5 #2 over TCP: telemetry stored, unknown token refused", async () => {
    assert.equal(ep.ports.tls, undefined);
    const client = await mqttClient(ep.ports.tcp!, "tcp");
    await client.publishAsync("v1/devices/me/telemetry", '{"temperature":21}', { qos: 1 });
    assert.deepEqual(ep.telemetry("dev1").map((e) => e.values), [{ temperature: 21 }]);
    await client.endAsync();
    const [c, ack] = await RawClient.connect(ep.ports.tcp!, "tcp", { username: "nope-nope-nope" });
    assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 5);
    await c.expectClose("unknown token");
  });

  test("MQTT 5 CONNECT is accepted; refusals use v5 reason codes", async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ep.ports.tcp}`, { username: TOKEN, protocolVersion: 5, reconnectPeriod: 0 });
    await client.publishAsync("v1/devices/me/telemetry", '{"v5":1}', { qos: 1 });
    assert.deepEqual(ep.telemetry("dev1").at(-1)!.values, { v5: 1 });
    const granted = await client.subscribeAsync("v1/devices/me/attributes", { qos: 1 });
    assert.equal(granted[0]!.qos, 1);
    await client.endAsync();
    await assert.rejects(mqtt.connectAsync(`mqtt://127.0.0.1:${ep.ports.tcp}`, { username: "bad", protocolVersion: 5, reconnectPeriod: 0 }),
      (e: Error & { code?: number }) => e.code === 0x87);
  });
});

// ---- HTTP API ----

describe("HTTP API", () => {
  let base: string;
  before(async () => {
    ep = await startEndpoint();
    base = `http://127.0.0.1:${ep.ports.http}`;
  });
  after(async () => { await ep.stop(); });

  async function http(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
    const res = await fetch(base + path, { method, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } });
    const text = await res.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text };
  }

  test("GET /api/devices lists names and connection state, never tokens", async () => {
    const client = await mqttClient(ep.ports.tls!, "tls");
    const res = await http("GET", "/api/devices");
    await client.endAsync();
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, [{ name: "dev1", connected: true }, { name: "dev2", connected: false }]);
    assert.ok(!res.text.includes(TOKEN) && !res.text.includes(TOKEN2));
  });

  test("timeseries: latest per key (strings by default), history newest first with limit and [startTs, endTs)", async () => {
    const client = await mqttClient(ep.ports.tls!, "tls");
    await client.publishAsync("v1/devices/me/telemetry", JSON.stringify([
      { ts: 1000, values: { temperature: 25, humidity: 26 } },
      { ts: 2000, values: { temperature: 25.5, humidity: 27 } },
      { ts: 3000, values: { temperature: 26, on: true } },
    ]), { qos: 1 });
    await client.endAsync();
    const p = "/api/plugins/telemetry/DEVICE/dev1/values/timeseries";
    assert.deepEqual((await http("GET", `${p}?keys=temperature,humidity`)).json,
      { temperature: [{ ts: 3000, value: "26" }], humidity: [{ ts: 2000, value: "27" }] });
    assert.deepEqual((await http("GET", `${p}?keys=temperature,on&useStrictDataTypes=true`)).json,
      { temperature: [{ ts: 3000, value: 26 }], on: [{ ts: 3000, value: true }] });
    assert.deepEqual((await http("GET", `${p}?keys=temperature&startTs=1000&endTs=3000&useStrictDataTypes=true`)).json,
      { temperature: [{ ts: 2000, value: 25.5 }, { ts: 1000, value: 25 }] });
    assert.deepEqual((await http("GET", `${p}?keys=temperature&startTs=0&endTs=9999&limit=1`)).json,
      { temperature: [{ ts: 3000, value: "26" }] });
    assert.deepEqual((await http("GET", `${p}?keys=missing`)).json, {});
    const bad = await http("GET", `${p}?keys=temperature&startTs=1`);
    assert.equal(bad.status, 400);
    assert.match((bad.json as { message: string }).message, /startTs and endTs together/);
    assert.equal((await http("GET", `${p}?startTs=x&endTs=1`)).status, 400);
    assert.deepEqual((await http("GET", "/api/plugins/telemetry/DEVICE/dev1/keys/timeseries")).json, ["temperature", "humidity", "on"]);
  });

  test("attributes: POST SHARED_SCOPE stores and pushes; GET values/attributes by scope and keys", async () => {
    const client = await mqttClient(ep.ports.tls!, "tls");
    try {
      await client.publishAsync("v1/devices/me/attributes", '{"fw":"1.2.3"}', { qos: 1 });
      await client.subscribeAsync("v1/devices/me/attributes", { qos: 1 });
      const pushed = nextMessage(client, "v1/devices/me/attributes");
      const post = await http("POST", "/api/plugins/telemetry/DEVICE/dev1/attributes/SHARED_SCOPE", { telemetryIntervalMs: 1000 });
      assert.equal(post.status, 200);
      assert.deepEqual((await pushed).body, { telemetryIntervalMs: 1000 });
      const all = (await http("GET", "/api/plugins/telemetry/DEVICE/dev1/values/attributes")).json as Array<{ key: string; value: unknown; lastUpdateTs: number }>;
      assert.deepEqual(all.map(({ key, value }) => ({ key, value })), [{ key: "fw", value: "1.2.3" }, { key: "telemetryIntervalMs", value: 1000 }]);
      assert.ok(all.every((a) => typeof a.lastUpdateTs === "number"));
      const shared = await http("GET", "/api/plugins/telemetry/DEVICE/dev1/values/attributes/SHARED_SCOPE?keys=telemetryIntervalMs");
      assert.deepEqual((shared.json as Array<{ key: string }>).map((a) => a.key), ["telemetryIntervalMs"]);
      const deleted = nextMessage(client, "v1/devices/me/attributes");
      assert.equal((await http("DELETE", "/api/plugins/telemetry/DEVICE/dev1/SHARED_SCOPE?keys=telemetryIntervalMs")).status, 200);
      assert.deepEqual((await deleted).body, { deleted: ["telemetryIntervalMs"] });
    } finally {
      await client.endAsync();
    }
    assert.equal((await http("POST", "/api/plugins/telemetry/DEVICE/dev1/attributes/SHARED_SCOPE", "{oops")).status, 400);
    assert.equal((await http("POST", "/api/plugins/telemetry/DEVICE/dev1/attributes/SHARED_SCOPE", [1])).status, 400);
    assert.equal((await http("POST", "/api/plugins/telemetry/DEVICE/dev1/attributes/CLIENT_SCOPE", { a: 1 })).status, 400);
    assert.equal((await http("GET", "/api/plugins/telemetry/DEVICE/dev1/values/attributes/OTHER")).status, 400);
  });

  test("RPC: twoway answers the device's response, 504 on timeout (408 on the v1 path), oneway 504 when offline", async () => {
    const client = await mqttClient(ep.ports.tls!, "tls");
    try {
      client.on("message", (topic, payload) => {
        const req = JSON.parse(payload.toString()) as { method: string };
        if (req.method === "slow") return;
        const body = req.method === "text" ? "plain words" : JSON.stringify({ ok: req.method });
        if (req.method !== "reboot") client.publish(topic.replace("request", "response"), body, { qos: 1 }, () => {});
      });
      await client.subscribeAsync("v1/devices/me/rpc/request/+", { qos: 1 });
      const ok = await http("POST", "/api/rpc/twoway/dev1", { method: "getTelemetry", params: {} });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json, { ok: "getTelemetry" });
      assert.equal((await http("POST", "/api/rpc/twoway/dev1", { method: "slow", params: {}, timeout: 150 })).status, 504);
      assert.equal((await http("POST", "/api/plugins/rpc/twoway/dev1", { method: "slow", params: {}, timeout: 150 })).status, 408);
      assert.equal((await http("POST", "/api/rpc/twoway/dev1", { method: "text", params: {} })).status, 406);
      assert.equal((await http("POST", "/api/rpc/oneway/dev1", { method: "reboot", params: {} })).status, 200);
    } finally {
      await client.endAsync();
    }
    assert.equal((await http("POST", "/api/rpc/oneway/dev2", { method: "reboot" })).status, 504);
    assert.equal((await http("POST", "/api/plugins/rpc/oneway/dev2", { method: "reboot" })).status, 409);
    assert.equal((await http("POST", "/api/rpc/twoway/dev1", { params: {} })).status, 400);
    assert.equal((await http("POST", "/api/rpc/twoway/dev1", { method: "m", timeout: -1 })).status, 400);
  });

  test("unknown devices and paths: 404 with ThingsBoard's error body", async () => {
    const res = await http("GET", "/api/plugins/telemetry/DEVICE/ghost/values/timeseries");
    assert.equal(res.status, 404);
    assert.deepEqual({ ...(res.json as object), timestamp: 0 }, { status: 404, message: 'Device with requested name "ghost" wasn\'t found!', errorCode: 32, timestamp: 0 });
    assert.equal((await http("GET", "/nope")).status, 404);
  });
});

// ---- one MQTT stream, however it is chunked ----

describe("stream chunking: split at every byte or coalesced, the endpoint reads the same packets", () => {
  before(async () => { ep = await startEndpoint(); });
  after(async () => { await ep.stop(); });

  /** One whole session as bytes: CONNECT, SUBSCRIBE, telemetry, an attribute request, PINGREQ. */
  const sessionBytes = (token: string): Buffer => Buffer.concat([
    mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "chunks", keepalive: 0, username: token }),
    mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "v1/devices/me/attributes/response/+", qos: 1 }] }),
    mqttPacket.generate(publish("v1/devices/me/telemetry", '{"temperature":21.5,"humidity":40}', 1, 2)),
    mqttPacket.generate(publish("v1/devices/me/attributes/request/5", '{"sharedKeys":"mode"}', 1, 3)),
    mqttPacket.generate({ cmd: "pingreq" }),
  ]);

  /** Sends the session as `chunks`, one socket write each, and returns the endpoint's six answers. */
  async function answers(chunks: Buffer[]): Promise<unknown[]> {
    const c = await RawClient.open(ep.ports.tls!, "tls");
    try {
      // Each write is flushed and given a moment before the next, so the endpoint reads it on its own
      // (writes issued together would leave in one TLS record).
      for (const chunk of chunks) {
        await new Promise<void>((resolve, reject) => c.socket.write(chunk, (e) => (e ? reject(e) : resolve())));
        if (chunks.length > 1) await new Promise((r) => setTimeout(r, 1));
      }
      const out: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const p = await c.next() as Packet & { payload?: Buffer; topic?: string; returnCode?: number; granted?: number[] };
        const fields = { cmd: p.cmd, id: p.messageId, code: p.returnCode, granted: p.granted, topic: p.topic, payload: p.payload?.toString() };
        out.push(Object.fromEntries(Object.entries(fields).filter(([, v]) => v != null)));
      }
      assert.equal(c.isClosed, false, "the session stays open");
      return out;
    } finally {
      c.end();
    }
  }

  test("byte by byte and all in one write: the same answers and the same telemetry", async () => {
    ep.setSharedAttributes("dev1", { mode: "eco" });
    ep.setSharedAttributes("dev2", { mode: "eco" });
    const split = sessionBytes(TOKEN);
    const bytes = await answers([...split].map((b) => Buffer.from([b])));
    const whole = await answers([sessionBytes(TOKEN2)]);
    assert.deepEqual(bytes, [
      { cmd: "connack", code: 0 },
      { cmd: "suback", id: 1, granted: [1] },
      { cmd: "puback", id: 2 },
      { cmd: "publish", id: 1, topic: "v1/devices/me/attributes/response/5", payload: '{"shared":{"mode":"eco"}}' },
      { cmd: "puback", id: 3 },
      { cmd: "pingresp" },
    ], `answers to ${split.length} one-byte writes`);
    assert.deepEqual(whole, bytes, "answers to one coalesced write");
    assert.deepEqual(ep.telemetry("dev1").map((e) => e.values), [{ temperature: 21.5, humidity: 40 }]);
    assert.deepEqual(ep.telemetry("dev2").map((e) => e.values), ep.telemetry("dev1").map((e) => e.values));
  });

  test("MQTT 5: a CONNECT and a PUBLISH with properties in one write; the PUBLISH is read as MQTT 5", async () => {
    const socket = netConnect({ host: "127.0.0.1", port: ep.ports.tcp! });
    try {
      await withTimeout(once(socket, "connect"), "socket connect");
      const replies: Packet[] = [];
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      parser.on("packet", (p: Packet) => replies.push(p));
      socket.on("data", (d: Buffer) => parser.parse(d));
      const v5 = { protocolVersion: 5 };
      socket.write(Buffer.concat([
        mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, clientId: "v5", keepalive: 0, username: TOKEN }, v5),
        // Read with 3.1.1 rules, the properties would be taken as the payload's first bytes: not JSON, closed.
        mqttPacket.generate({ ...publish("v1/devices/me/telemetry", '{"v5chunk":1}', 1, 4), properties: { userProperties: { a: "b" }, contentType: "json" } } as Packet, v5),
        mqttPacket.generate({ cmd: "pingreq" }, v5),
      ]));
      await waitFor(() => replies.length >= 3, "CONNACK, PUBACK and PINGRESP");
      assert.deepEqual(replies.map((p) => p.cmd), ["connack", "puback", "pingresp"]);
      assert.deepEqual(ep.telemetry("dev1").at(-1)!.values, { v5chunk: 1 });
    } finally {
      socket.destroy();
    }
  });
});

// ---- storage, options, devices file, framing ----

describe("storage bound and options", () => {
  test("keeps at most maxEntriesPerKey entries per device and per key, oldest dropped", async () => {
    const small = await startEndpoint({ maxEntriesPerKey: 3, tls: undefined, http: false });
    try {
      const client = await mqttClient(small.ports.tcp!, "tcp");
      for (let i = 1; i <= 5; i++) await client.publishAsync("v1/devices/me/telemetry", JSON.stringify({ ts: i, values: { n: i } }), { qos: 1 });
      await client.endAsync();
      assert.deepEqual(small.telemetry("dev1").map((e) => e.values.n), [3, 4, 5]);
    } finally {
      await small.stop();
    }
  });

  test("bad options fail with one clear line", async () => {
    await assert.rejects(TbEndpoint.start({ devices: [] }), /give `tls` and\/or `tcp`/);
    await assert.rejects(TbEndpoint.start({ devices: [], tcp: {}, host: "0.0.0.0" }), /not loopback/);
    await assert.rejects(TbEndpoint.start({ devices: [], tcp: {}, idleTimeoutMs: -1 }), /idleTimeoutMs must be a positive integer/);
    await assert.rejects(TbEndpoint.start({ devices: [], tls: { certPath: join(certDir, "none.pem"), keyPath: cert.keyPath } }), /none\.pem: cannot read it \(ENOENT\); create one with `npm run certs`/);
    await assert.rejects(TbEndpoint.start({ devices: [{ name: "a", token: "" }], tcp: {} }), /options\.devices\[0\]: token: token must not be empty/);
    const taken = await startEndpoint({ tls: undefined, http: false });
    try {
      await assert.rejects(startEndpoint({ tls: undefined, http: false, tcp: { port: taken.ports.tcp! } }), /already in use/);
    } finally {
      await taken.stop();
    }
  });

  test("devices file: valid one loads; bad ones name the problem without printing tokens", () => {
    assert.deepEqual(loadDevicesFile(join(FIXTURES, "devices.json")), [{ name: "cli-device", token: "CLI_TOKEN_0123456789" }]);
    assert.throws(() => loadDevicesFile(join(FIXTURES, "not-array.json")), /expected a JSON array/);
    assert.throws(() => loadDevicesFile(join(FIXTURES, "truncated.json")), /not valid JSON/);
    assert.throws(() => loadDevicesFile(join(FIXTURES, "missing.json")), /cannot read it \(ENOENT\)/);
    assert.throws(() => loadDevicesFile(join(FIXTURES, "duplicate-token.json")), /already used by another device/);
    assert.throws(() => validateDevices([{ name: "x", token: "SECRET_TOKEN_LONG" }, { name: "y", token: "SECRET_TOKEN_LONG" }]),
      (e: Error) => !e.message.includes("SECRET_TOKEN_LONG"));
    assert.throws(() => validateDevices([{ name: "x", token: "t1" }, { name: "x", token: "t2" }]), /duplicate device name "x"/);
    assert.throws(() => validateDevices([{ token: "t" }]), /\[0\]: name:/);
  });

  test("logs never hold a token in full", () => {
    assert.ok(logLines.length > 0);
    for (const line of logLines) for (const t of [TOKEN, TOKEN2, "WRONG_TOKEN_123456789"]) assert.ok(!line.includes(t), line);
  });

  test("telemetry rules in isolation", () => {
    assert.deepEqual(parseTelemetry(Buffer.from('{"a":"-1.5","b":".5","c":"1.","d":"0x1F","e":" 1","f":{"n":1}}'), 7),
      [{ ts: 7, values: { a: -1.5, b: 0.5, c: "1.", d: "0x1F", e: " 1", f: { n: 1 } } }]);
    assert.throws(() => parseTelemetry(Buffer.from('{"ts":1,"values":[1]}'), 0), PayloadError);
    assert.throws(() => parseTelemetry(Buffer.from('"x"'), 0), /expected a JSON object or an array of objects, got a string/);
  });

  test("packet reader: any split of a packet stream yields the same packets; oversize refused from the header", () => {
    const packets = [
      mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "f", keepalive: 0, username: "u" }),
      mqttPacket.generate({ cmd: "pingreq" }),
      mqttPacket.generate(publish("a/b", Buffer.alloc(300, 1))),
      mqttPacket.generate(publish("c", "{}", 0)),
    ];
    const stream = Buffer.concat(packets);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const reader = new PacketReader(65_536);
      const out: Packet[] = [];
      let prev = 0;
      for (const p of [...points, stream.length]) {
        out.push(...reader.push(stream.subarray(prev, p)));
        prev = p;
      }
      // Decoded packets, encoded again, are the bytes sent.
      assert.deepEqual(out.map((o) => mqttPacket.generate(o).toString("hex")), packets.map((b) => b.toString("hex")));
    }), { numRuns: 200 });
    assert.throws(() => new PacketReader(100).push(Buffer.from([0x10, 0xe5, 0x00])), (e: unknown) => e instanceof FrameError && /101 bytes exceeds the limit of 100/.test((e as Error).message));
    assert.throws(() => new PacketReader(100).push(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])), /malformed remaining length/);
    assert.throws(() => new PacketReader(100).push(Buffer.from("GET / HTTP/1.1")), /first packet is not CONNECT \(first byte 0x47\)/);
    const reader = new PacketReader(100);
    reader.push(packets[0]!);
    assert.throws(() => reader.push(Buffer.from([0x80, 0x00])), /invalid fixed-header flags 0x80/);
    assert.throws(() => new PacketReader(100).push(Buffer.concat([packets[0]!, Buffer.from([0x36, 0x00])])), /both QoS bits/);
  });
});

// ---- CLI ----

describe("CLI", () => {
  const cli = join(import.meta.dirname, "..", "tools", "tb-endpoint", "cli.ts");

  test("serves the devices file over TLS and TCP until SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, "--devices", join(FIXTURES, "devices.json"),
      "--cert", cert.certPath, "--key", cert.keyPath, "--tls-port", "0", "--tcp-port", "0", "--http-port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    try {
      await waitFor(() => /listening on/.test(out), "the CLI to listen", 15_000);
      const tcpPort = Number(/tcp (\d+)/.exec(out)![1]);
      const tlsPort = Number(/tls (\d+)/.exec(out)![1]);
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { username: "CLI_TOKEN_0123456789", reconnectPeriod: 0, ca: readFileSync(cert.certPath) });
      await client.publishAsync("v1/devices/me/telemetry", '{"temperature":25}', { qos: 1 });
      await client.endAsync();
      await waitFor(() => /cli-device telemetry \{"temperature":25\}/.test(out), "telemetry line");
      const [c, ack] = await RawClient.connect(tcpPort, "tcp", { username: "CLI_TOKEN_0123456789" });
      assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 0);
      c.end();
      assert.ok(!out.includes("CLI_TOKEN_0123456789"), "token not printed in full");
    } finally {
      child.kill("SIGTERM");
      await withTimeout(once(child, "exit"), "CLI exit", 5000);
    }
  });

  test("bad arguments exit 2 with the reason", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, "--cert", cert.certPath], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const [code] = await withTimeout(once(child, "exit"), "CLI exit", 15_000);
    assert.equal(code, 2);
    assert.match(err, /--devices FILE is required/);
  });
});
