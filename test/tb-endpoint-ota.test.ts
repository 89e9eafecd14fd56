// Firmware updates through the local endpoint as ThingsBoard serves them (docs/thingsboard.md §6): the
// fw_* shared attributes an assignment pushes, chunks answered over real MQTT over TLS (MQTT.js, and raw
// mqtt-packet sockets for what MQTT.js hides: PUBACKs, QoS, closes), what a bad or unanswerable request
// gets, the test-only faults, and the REST upload and assignment through tools/ota/rest.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import mqtt, { type IClientPublishOptions, type MqttClient } from "mqtt";
import mqttPacket, { type IPublishPacket, type Packet } from "mqtt-packet";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { uploadToThingsBoard } from "../tools/ota/rest.ts";
import { TbEndpoint, type OtaSummary } from "../tools/tb-endpoint/index.ts";

const TOKEN1 = "OTA_TEST_TOKEN_one_1";
const TOKEN2 = "OTA_TEST_TOKEN_two_2";
const WAIT_MS = 3000;
/** How long "no answer" is waited for. */
const QUIET_MS = 400;
const FW_KEYS = "fw_title,fw_version,fw_size,fw_checksum,fw_checksum_algorithm";
const LOGIN = { username: "tenant@thingsboard.org", password: "tenant-secret" };

let certDir: string;
let cert: { certPath: string; keyPath: string };

before(() => {
  certDir = mkdtempSync(join(tmpdir(), "tb-endpoint-ota-"));
  cert = generateSelfSigned({ host: "127.0.0.1", outDir: certDir, keyType: "ec" });
});
after(() => rmSync(certDir, { recursive: true, force: true }));

function startEndpoint(extra: Partial<Parameters<typeof TbEndpoint.start>[0]> = {}): Promise<TbEndpoint> {
  return TbEndpoint.start({
    devices: [{ name: "dev1", token: TOKEN1 }, { name: "dev2", token: TOKEN2 }],
    tls: { ...cert }, log: () => {}, ...extra,
  });
}

function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]);
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A package whose bytes include CR LF, "--" and bytes that are not UTF-8, so any text handling shows. */
function packageBytes(size: number): Buffer {
  const b = randomBytes(size);
  Buffer.from("\r\n--\r\n\xff\xfe", "latin1").copy(b, 100);
  return b;
}

// ---- clients ----

interface Received {
  topic: string;
  payload: Buffer;
  qos: number;
}

async function device(port: number, token = TOKEN1): Promise<{ client: MqttClient; messages: Received[]; next(prefix: string, ms?: number): Promise<Received> }> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    username: token, reconnectPeriod: 0, connectTimeout: WAIT_MS, ca: readFileSync(cert.certPath), clientId: `ota${Math.random()}`,
  });
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  client.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload: Buffer.from(payload), qos: packet.qos });
    for (const w of waiters) w();
  });
  /** Takes the first unread message whose topic starts with `prefix`. */
  const next = (prefix: string, ms = WAIT_MS) => withTimeout(new Promise<Received>((resolve) => {
    const look = () => {
      const i = messages.findIndex((m) => m.topic.startsWith(prefix));
      if (i < 0) return;
      waiters.delete(look);
      resolve(messages.splice(i, 1)[0]!);
    };
    waiters.add(look);
    look();
  }), `a message on ${prefix}`, ms);
  return { client, messages, next };
}

/** Publishes a chunk request and resolves with the answer on `v2/fw/response/<id>/chunk/<n>`. */
async function askChunk(d: Awaited<ReturnType<typeof device>>, id: number | string, chunk: number | string, size: string, opts: IClientPublishOptions = { qos: 1 }): Promise<Received> {
  const answer = d.next(`v2/fw/response/${id}/chunk/${Number(chunk)}`);
  await d.client.publishAsync(`v2/fw/request/${id}/chunk/${chunk}`, size, opts);
  return answer;
}

/** MQTT over TLS spoken with mqtt-packet, to see PUBACKs, QoS and the server's close. */
class RawClient {
  private readonly packets: Packet[] = [];
  private wake?: () => void;
  closed = false;

  private constructor(private readonly socket: TLSSocket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p: Packet) => { this.packets.push(p); this.wake?.(); });
    socket.on("data", (d: Buffer) => parser.parse(d));
    socket.on("error", () => {});
    socket.on("close", () => { this.closed = true; this.wake?.(); });
  }

  static async connect(port: number, token: string): Promise<RawClient> {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(cert.certPath) });
    await withTimeout(once(socket, "secureConnect"), "TLS connect");
    const c = new RawClient(socket);
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "raw", keepalive: 0, username: token });
    const ack = await c.next();
    assert.equal((ack as mqttPacket.IConnackPacket).returnCode, 0);
    return c;
  }

  send(p: Packet): void {
    this.socket.write(mqttPacket.generate(p));
  }

  /** The next packet; rejects when the connection closes first or nothing comes within `ms`. */
  async next(ms = WAIT_MS): Promise<Packet> {
    const deadline = Date.now() + ms;
    while (!this.packets.length) {
      if (this.closed) throw new Error("connection closed while waiting for a packet");
      if (Date.now() > deadline) throw new Error("timed out waiting for a packet");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
    return this.packets.shift()!;
  }

  /** Every packet until the server closes the connection; fails if it stays open. */
  async untilClosed(what: string): Promise<Packet[]> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`the server did not close the connection (${what})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
    return this.packets.splice(0);
  }

  end(): void {
    this.socket.destroy();
  }
}

function request(topic: string, payload: string, qos: 0 | 1 = 1, messageId = 9): Packet {
  return { cmd: "publish", topic, payload, qos, messageId, dup: false, retain: false };
}

// ---- tests ----

describe("assignment and chunks over MQTT", () => {
  let ep: TbEndpoint;
  before(async () => { ep = await startEndpoint({ http: false }); });
  after(async () => { await ep.stop(); });
  const port = (): number => ep.ports.tls!;

  test("assignFirmware: the fw_* shared attributes go to a subscribed device in one update and answer sharedKeys requests", async () => {
    const d = await device(port());
    try {
      await d.client.subscribeAsync("v1/devices/me/attributes", { qos: 1 });
      const data = packageBytes(3000);
      const assigned = once(ep, "firmwareAssigned");
      const result = ep.assignFirmware("dev1", { title: "tb-espruino-device", version: "0.2.0", data });
      const expected = { fw_title: "tb-espruino-device", fw_version: "0.2.0", fw_size: 3000, fw_checksum_algorithm: "SHA256", fw_checksum: sha256(data) };
      const push = await d.next("v1/devices/me/attributes");
      assert.deepEqual(JSON.parse(push.payload.toString()), expected);
      assert.deepEqual(result, { id: result.id, title: "tb-espruino-device", version: "0.2.0", size: 3000, checksum: sha256(data) } satisfies OtaSummary);
      assert.deepEqual(await withTimeout(assigned, "firmwareAssigned event"), ["dev1", result]);
      assert.deepEqual(ep.attributes("dev1", "shared"), expected);

      await d.client.subscribeAsync("v1/devices/me/attributes/response/+", { qos: 1 });
      await d.client.publishAsync("v1/devices/me/attributes/request/4", JSON.stringify({ sharedKeys: FW_KEYS }), { qos: 1 });
      assert.deepEqual(JSON.parse((await d.next("v1/devices/me/attributes/response/4")).payload.toString()), { shared: expected });

      // ThingsBoard records the target and the state it queued, before the device says anything.
      assert.equal(ep.firmwareState("dev1")?.fw_state, "INITIATED");
      assert.deepEqual(ep.telemetry("dev1").map((e) => e.values).slice(0, 1),
        [{ target_fw_title: "tb-espruino-device", target_fw_version: "0.2.0", target_fw_ts: ep.telemetry("dev1")[0]!.ts, fw_state: "QUEUED" }]);

      // The same package again changes nothing (ThingsBoard compares the package id); other data under
      // the same title and version is refused; a new version is pushed.
      assert.deepEqual(ep.assignFirmware("dev1", { title: "tb-espruino-device", version: "0.2.0", data }), result);
      assert.throws(() => ep.assignFirmware("dev1", { title: "tb-espruino-device", version: "0.2.0", data: Buffer.from("other") }),
        /already exists with other content; give the new one another version/);
      await sleep(QUIET_MS);
      assert.deepEqual(d.messages.filter((m) => m.topic === "v1/devices/me/attributes"), [], "no second push");
      const next = Buffer.from("tiny");
      ep.assignFirmware("dev1", { title: "tb-espruino-device", version: "0.2.1", data: next });
      assert.deepEqual(JSON.parse((await d.next("v1/devices/me/attributes")).payload.toString()),
        { ...expected, fw_version: "0.2.1", fw_size: 4, fw_checksum: sha256(next) });
    } finally {
      await d.client.endAsync();
    }
  });

  test("assignFirmware refuses what is no package, in one line", () => {
    assert.throws(() => ep.assignFirmware("dev1", { title: "t", version: "1", data: Buffer.alloc(0) }), /data must be a non-empty Buffer/);
    assert.throws(() => ep.assignFirmware("dev1", { title: "", version: "1", data: Buffer.from("x") }), /title must be a string of 1 to 255 characters/);
    assert.throws(() => ep.assignFirmware("nobody", { title: "t", version: "1", data: Buffer.from("x") }), /unknown device "nobody"/);
  });

  test("chunks: byte-exact raw binary, the last one short, past the end empty, at the subscription's QoS", async () => {
    const data = packageBytes(2500);
    ep.assignFirmware("dev2", { title: "chunks", version: "1.0.0", data });
    const d = await device(port(), TOKEN2);
    const served: unknown[][] = [];
    const onChunk = (...args: unknown[]) => served.push(args);
    ep.on("firmwareChunk", onChunk);
    try {
      await d.client.subscribeAsync("v2/fw/response/+/chunk/+", { qos: 1 });
      const got = [];
      for (let n = 0; n < 4; n++) got.push(await askChunk(d, 7, n, "1024"));
      assert.deepEqual(got.map((m) => m.payload.length), [1024, 1024, 452, 0]);
      assert.ok(Buffer.concat(got.map((m) => m.payload)).equals(data), "the chunks put together are the package");
      assert.deepEqual(got.map((m) => m.qos), [1, 1, 1, 1]);
      assert.deepEqual(served, [["dev2", 0, 1024], ["dev2", 1, 1024], ["dev2", 2, 452], ["dev2", 3, 0]]);

      // The request id is echoed as written; the chunk number as the number it is.
      const padded = await askChunk(d, "007", "02", "1000");
      assert.equal(padded.topic, "v2/fw/response/007/chunk/2");
      assert.ok(padded.payload.equals(data.subarray(2000, 2500)));

      await d.client.unsubscribeAsync("v2/fw/response/+/chunk/+");
      await d.client.subscribeAsync("v2/fw/response/+/chunk/+", { qos: 0 });
      assert.equal((await askChunk(d, 8, 0, "100")).qos, 0, "granted QoS 0: sent at QoS 0");
    } finally {
      ep.off("firmwareChunk", onChunk);
      await d.client.endAsync();
    }
  });

  test("chunk size: empty reuses the request id's size, or sends the whole package; each session keeps its own", async () => {
    const data = packageBytes(2100);
    ep.assignFirmware("dev2", { title: "sizes", version: "1.0.0", data });
    const d = await device(port(), TOKEN2);
    try {
      await d.client.subscribeAsync("v2/fw/response/+/chunk/+", { qos: 1 });
      assert.equal((await askChunk(d, 5, 0, "1000")).payload.length, 1000);
      assert.ok((await askChunk(d, 5, 1, "")).payload.equals(data.subarray(1000, 2000)), "empty: the size given before for id 5");
      assert.ok((await askChunk(d, 5, 2, "-3")).payload.equals(data.subarray(2000)), "below 1 counts as empty");
      assert.ok((await askChunk(d, 6, 0, "")).payload.equals(data), "a new id without a size: the whole package");
      assert.ok((await askChunk(d, 6, 3, "+700")).payload.equals(data.subarray(2100)), "Java's parseInt takes a plus sign");
    } finally {
      await d.client.endAsync();
    }
    // A request id stays bound to the package it first got, for as long as the connection lasts.
    const raw = await RawClient.connect(port(), TOKEN2);
    try {
      raw.send(request("v2/fw/request/1/chunk/0", "10"));
      assert.equal((await raw.next()).cmd, "puback", "the PUBACK comes before the chunk");
      const first = await raw.next() as IPublishPacket;
      assert.ok(Buffer.from(first.payload).equals(data.subarray(0, 10)));
      assert.equal(first.qos, 1, "not subscribed: ThingsBoard's fallback QoS 1");
      raw.send({ cmd: "puback", messageId: first.messageId! });
      ep.assignFirmware("dev2", { title: "sizes", version: "2.0.0", data: Buffer.from("new package") });
      raw.send(request("v2/fw/request/1/chunk/1", "10", 0));
      assert.ok(Buffer.from((await raw.next() as IPublishPacket).payload).equals(data.subarray(10, 20)), "id 1: still the first package");
      raw.send(request("v2/fw/request/2/chunk/0", "", 0));
      assert.equal(Buffer.from((await raw.next() as IPublishPacket).payload).toString(), "new package", "a new id gets the new package");
    } finally {
      raw.end();
    }
  });

  for (const size of ["abc", "1e3", "12.5", " 1024", "2147483648"]) {
    test(`chunk size ${JSON.stringify(size)} is no int: the connection closes, no PUBACK, no answer`, async () => {
      ep.assignFirmware("dev2", { title: "bad-size", version: "1", data: Buffer.from("0123456789") });
      const raw = await RawClient.connect(port(), TOKEN2);
      raw.send(request("v2/fw/request/1/chunk/0", size));
      assert.deepEqual(await raw.untilClosed(size), []);
    });
  }

  test("chunk numbers at the int limit: past it the connection closes; the offset is an int product, as ThingsBoard's", async () => {
    ep.assignFirmware("dev2", { title: "limits", version: "1", data: Buffer.from("0123456789") });
    const beyond = await RawClient.connect(port(), TOKEN2);
    beyond.send(request("v2/fw/request/1/chunk/2147483648", "10"));
    assert.deepEqual(await beyond.untilClosed("chunk number beyond int"), []);
    const raw = await RawClient.connect(port(), TOKEN2);
    try {
      // 1024 × 2147483647 wraps to -1024 in 32 bits: ThingsBoard's copy throws after its PUBACK.
      raw.send(request("v2/fw/request/1/chunk/2147483647", "1024", 1, 31));
      assert.deepEqual(await raw.next().then((p) => [p.cmd, p.messageId]), ["puback", 31]);
      await assert.rejects(raw.next(QUIET_MS), /timed out/, "no answer after that PUBACK");
      // 65536 × 65536 wraps to 0: the answer is the package's first bytes, as ThingsBoard's is.
      raw.send(request("v2/fw/request/3/chunk/65536", "65536", 0));
      const wrapped = await raw.next() as IPublishPacket;
      assert.deepEqual([wrapped.topic, Buffer.from(wrapped.payload).toString()], ["v2/fw/response/3/chunk/65536", "0123456789"]);
    } finally {
      raw.end();
    }
  });

  test("a chunk size over 65,536: PAYLOAD_TOO_LARGE on v2/fw/error, then the connection closes, no PUBACK", async () => {
    const raw = await RawClient.connect(port(), TOKEN2);
    raw.send(request("v2/fw/request/1/chunk/0", "65537"));
    const got = await raw.untilClosed("size over the limit") as IPublishPacket[];
    assert.deepEqual(got.map((p) => [p.cmd, p.topic, Buffer.from(p.payload).toString()]), [["publish", "v2/fw/error", "PAYLOAD_TOO_LARGE"]]);
  });

  test("no package assigned: NOT_FOUND on v2/fw/error at the granted QoS, then the connection closes, no PUBACK", async () => {
    const fresh = await startEndpoint({ http: false });
    try {
      const raw = await RawClient.connect(fresh.ports.tls!, TOKEN1);
      raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "v2/fw/response/+/chunk/+", qos: 1 }, { topic: "v2/fw/error", qos: 0 }, { topic: "v2/sw/error", qos: 1 }] });
      assert.deepEqual((await raw.next() as mqttPacket.ISubackPacket).granted, [1, 0, 1]);
      raw.send(request("v2/fw/request/3/chunk/0", "1024"));
      const got = await raw.untilClosed("no package") as IPublishPacket[];
      assert.deepEqual(got.map((p) => [p.cmd, p.topic, Buffer.from(p.payload).toString(), p.qos]), [["publish", "v2/fw/error", "NOT_FOUND", 0]]);
      assert.equal(fresh.isConnected("dev1"), false);

      // Software is never assigned here: the same answer on v2/sw/error.
      const sw = await RawClient.connect(fresh.ports.tls!, TOKEN1);
      sw.send(request("v2/sw/request/3/chunk/0", "1024"));
      const swGot = await sw.untilClosed("no software") as IPublishPacket[];
      assert.deepEqual(swGot.map((p) => [p.topic, Buffer.from(p.payload).toString(), p.qos]), [["v2/sw/error", "NOT_FOUND", 1]]);

      // A topic the request pattern does not match is any other topic (#7): PUBACK, session kept.
      const other = await RawClient.connect(fresh.ports.tls!, TOKEN1);
      other.send(request("v2/fw/request/x/chunk/0", "1024", 1, 44));
      assert.deepEqual(await other.next().then((p) => [p.cmd, p.messageId]), ["puback", 44]);
      other.end();
    } finally {
      await fresh.stop();
    }
  });

  test("faults (test-only): ignoreChunk leaves the first request unanswered; closeAfterChunk closes once, right after the answer", async () => {
    const data = packageBytes(4096);
    ep.assignFirmware("dev1", { title: "faults", version: "1.0.0", data });
    assert.throws(() => ep.firmwareFaults("dev1", { ignoreChunk: -1 }), /ignoreChunk must be a chunk number/);
    ep.firmwareFaults("dev1", { ignoreChunk: 1, closeAfterChunk: 2 });
    let d = await device(port());
    try {
      await d.client.subscribeAsync("v2/fw/response/+/chunk/+", { qos: 1 });
      assert.ok((await askChunk(d, 1, 0, "1024")).payload.equals(data.subarray(0, 1024)));
      await d.client.publishAsync("v2/fw/request/1/chunk/1", "1024", { qos: 1 });
      await sleep(QUIET_MS);
      assert.deepEqual(d.messages.map((m) => m.topic), [], "chunk 1: PUBACK, but no answer");
      assert.ok((await askChunk(d, 1, 1, "1024")).payload.equals(data.subarray(1024, 2048)), "asked again: answered");

      const dropped = once(ep, "disconnect");
      assert.ok((await askChunk(d, 1, 2, "1024")).payload.equals(data.subarray(2048, 3072)), "chunk 2 is answered first");
      assert.deepEqual(await withTimeout(dropped, "the close after chunk 2"), ["dev1", "test fault: closed after chunk 2"]);
    } finally {
      d.client.end(true);
    }
    d = await device(port());
    try {
      await d.client.subscribeAsync("v2/fw/response/+/chunk/+", { qos: 1 });
      assert.ok((await askChunk(d, 2, 2, "1024")).payload.equals(data.subarray(2048, 3072)));
      assert.ok((await askChunk(d, 2, 3, "1024")).payload.equals(data.subarray(3072)));
      assert.equal(ep.isConnected("dev1"), true, "each fault acts once");
    } finally {
      await d.client.endAsync();
    }
  });

  test("firmwareState: the latest fw_state, fw_error, current_fw_title and current_fw_version", async () => {
    const fresh = await startEndpoint({ http: false });
    try {
      assert.equal(fresh.firmwareState("dev2"), undefined, "nothing before any report");
      const d = await device(fresh.ports.tls!, TOKEN2);
      try {
        await d.client.publishAsync("v1/devices/me/telemetry", JSON.stringify({ current_fw_title: "tb-espruino-device", current_fw_version: "0.1.0", fw_state: "DOWNLOADING" }), { qos: 1 });
        await sleep(5);
        await d.client.publishAsync("v1/devices/me/telemetry", JSON.stringify({ fw_state: "FAILED", fw_error: "checksum mismatch" }), { qos: 1 });
      } finally {
        await d.client.endAsync();
      }
      const s = fresh.firmwareState("dev2")!;
      assert.deepEqual({ ...s, ts: 0 }, { fw_state: "FAILED", fw_error: "checksum mismatch", current_fw_title: "tb-espruino-device", current_fw_version: "0.1.0", ts: 0 });
      assert.equal(s.ts, fresh.telemetry("dev2").at(-1)!.ts);
    } finally {
      await fresh.stop();
    }
  });
});

describe("REST upload and assignment", () => {
  let ep: TbEndpoint;
  let url: string;
  before(async () => {
    ep = await startEndpoint({ httpLogin: LOGIN });
    url = `http://127.0.0.1:${ep.ports.http}`;
  });
  after(async () => { await ep.stop(); });

  const token = async (): Promise<string> => {
    const r = await fetch(`${url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(LOGIN) });
    return ((await r.json()) as { token: string }).token;
  };
  const call = async (method: string, path: string, body?: unknown, auth?: string): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = {};
    if (auth) headers["x-authorization"] = `Bearer ${auth}`;
    if (body !== undefined && !(body instanceof FormData)) headers["content-type"] = "application/json";
    const r = await fetch(url + path, { method, headers, body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const tbError = (status: number, message: string, errorCode: number) =>
    (r: { status: number; body: any }) => assert.deepEqual({ ...r, body: { ...r.body, timestamp: 0 } }, { status, body: { status, message, errorCode, timestamp: 0 } });

  test("uploadToThingsBoard: login, device, package info, file, assignment; the device downloads what was uploaded", async () => {
    const data = packageBytes(5000);
    const d = await device(ep.ports.tls!, TOKEN1);
    try {
      await d.client.subscribeAsync("v1/devices/me/attributes", { qos: 1 });
      await d.client.subscribeAsync("v2/fw/response/+/chunk/+", { qos: 1 });
      const { packageId } = await uploadToThingsBoard({ url: `${url}/`, ...LOGIN, deviceName: "dev1", title: "tb-espruino-device", version: "0.3.0", data });
      const attrs = JSON.parse((await d.next("v1/devices/me/attributes")).payload.toString());
      assert.deepEqual(attrs, { fw_title: "tb-espruino-device", fw_version: "0.3.0", fw_size: 5000, fw_checksum_algorithm: "SHA256", fw_checksum: sha256(data) });
      const chunks = [];
      for (let n = 0; n * 1024 < 5000; n++) chunks.push((await askChunk(d, 1, n, "1024")).payload);
      assert.ok(Buffer.concat(chunks).equals(data), "byte-exact through multipart and MQTT");

      const t = await token();
      const dev = await call("GET", "/api/tenant/devices?deviceName=dev1", undefined, t);
      assert.equal(dev.status, 200);
      assert.deepEqual(dev.body.firmwareId, { entityType: "OTA_PACKAGE", id: packageId });
      assert.equal(dev.body.name, "dev1");

      // firmwareId null takes the firmware away: the fw_* attributes are deleted on the device too.
      const saved = await call("POST", "/api/device", { ...dev.body, firmwareId: null }, t);
      assert.equal(saved.status, 200);
      assert.equal(saved.body.firmwareId, null);
      assert.equal(saved.body.version, dev.body.version + 1);
      assert.deepEqual(JSON.parse((await d.next("v1/devices/me/attributes")).payload.toString()),
        { deleted: ["fw_title", "fw_version", "fw_size", "fw_checksum", "fw_checksum_algorithm"] });
    } finally {
      await d.client.endAsync();
    }
  });

  test("uploadToThingsBoard: one line naming the failing call and the fix", async () => {
    const data = Buffer.from("package");
    const base = { url, ...LOGIN, deviceName: "dev2", title: "errors", version: "1", data };
    const oneLine = async (o: Parameters<typeof uploadToThingsBoard>[0], re: RegExp) => {
      const e = await uploadToThingsBoard(o).then(() => assert.fail("no error"), (err: Error) => err);
      assert.match(e.message, re);
      assert.match(e.message, /^E ota: [^\n]+$/, "one line, as the tools' errors");
    };
    await oneLine({ ...base, password: "wrong" }, /refused the login as "tenant@thingsboard.org" \(401 Invalid username or password\): check the user name and password/);
    await oneLine({ ...base, deviceName: "no-such-device" }, /has no device named "no-such-device" \(GET \/api\/tenant\/devices: 404\): give the device's name exactly/);
    await oneLine({ ...base, url: "mqtts://127.0.0.1:8883" }, /is not http\(s\): give its web address/);

    // A port nobody listens on, and a web server that is not ThingsBoard.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await oneLine({ ...base, url: `http://127.0.0.1:${closedPort}` }, /cannot reach ThingsBoard at http:\/\/127\.0\.0\.1:\d+ for the login \(POST \/api\/auth\/login: ECONNREFUSED\): check the URL/);
    const other: Server = createServer((_req, res) => res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>"));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    try {
      await oneLine({ ...base, url: `http://127.0.0.1:${(other.address() as AddressInfo).port}` }, /has no \/api\/auth\/login \(HTTP 404\): it does not answer like ThingsBoard: check the URL/);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }

    await uploadToThingsBoard(base);
    await oneLine(base, /already has a package errors 1 \(POST \/api\/otaPackage: OtaPackage with such title and version already exists!\): build the update with a new version/);
  });

  test("bad REST calls get ThingsBoard's errors", async () => {
    tbError(401, "Invalid username or password", 10)(await call("POST", "/api/auth/login", { ...LOGIN, password: "x" }));
    tbError(401, "Authentication failed", 10)(await call("POST", "/api/auth/login", { username: "only" }));
    tbError(401, "Authentication failed", 10)(await call("GET", "/api/tenant/devices?deviceName=dev1"));
    tbError(401, "Authentication failed", 10)(await call("GET", "/api/tenant/devices?deviceName=dev1", undefined, "not-a-token"));
    const t = await token();
    tbError(404, "Requested item wasn't found!", 32)(await call("GET", "/api/tenant/devices?deviceName=nope", undefined, t));
    const profile = (await call("GET", "/api/tenant/devices?deviceName=dev2", undefined, t)).body.deviceProfileId;

    tbError(400, "Type should be specified!", 31)(await call("POST", "/api/otaPackage", { title: "a", version: "1" }, t));
    tbError(400, "OtaPackage title should be specified!", 31)(await call("POST", "/api/otaPackage", { type: "FIRMWARE", version: "1" }, t));
    tbError(400, "OtaPackage version should be specified!", 31)(await call("POST", "/api/otaPackage", { type: "FIRMWARE", title: "a" }, t));
    tbError(400, "OtaPackage is referencing to non-existent device profile!", 31)(await call("POST", "/api/otaPackage",
      { type: "FIRMWARE", title: "a", version: "1", deviceProfileId: { entityType: "DEVICE_PROFILE", id: "00000000-0000-0000-0000-000000000000" } }, t));
    const info = await call("POST", "/api/otaPackage", { type: "FIRMWARE", title: "rest", version: "1", deviceProfileId: profile }, t);
    assert.equal(info.status, 200);
    assert.deepEqual([info.body.id.entityType, info.body.hasData, info.body.checksum, info.body.deviceProfileId], ["OTA_PACKAGE", false, null, profile]);
    tbError(400, "OtaPackage with such title and version already exists!", 31)(await call("POST", "/api/otaPackage", { type: "FIRMWARE", title: "rest", version: "1" }, t));

    const id = info.body.id.id as string;
    const form = (data: Buffer, field = "file") => {
      const f = new FormData();
      f.append(field, new Blob([data], { type: "application/octet-stream" }), "rest-1.js");
      return f;
    };
    const data = packageBytes(700);
    tbError(400, "Required request parameter 'checksumAlgorithm' for method parameter type String is not present", 31)(await call("POST", `/api/otaPackage/${id}`, form(data), t));
    tbError(400, "Invalid UUID string: not-a-uuid", 31)(await call("POST", "/api/otaPackage/not-a-uuid?checksumAlgorithm=SHA256", form(data), t));
    tbError(404, "Requested item wasn't found!", 32)(await call("POST", "/api/otaPackage/00000000-0000-0000-0000-000000000000?checksumAlgorithm=SHA256", form(data), t));
    tbError(400, "No enum constant org.thingsboard.server.common.data.ota.ChecksumAlgorithm.SHA1", 31)(await call("POST", `/api/otaPackage/${id}?checksumAlgorithm=sha1`, form(data), t));
    tbError(400, "Required request part 'file' is not present", 31)(await call("POST", `/api/otaPackage/${id}?checksumAlgorithm=SHA256`, form(data, "data"), t));
    tbError(400, "Wrong otaPackage file!", 31)(await call("POST", `/api/otaPackage/${id}?checksumAlgorithm=SHA256&checksum=${"0".repeat(64)}`, form(data), t));

    const dev = (await call("GET", "/api/tenant/devices?deviceName=dev2", undefined, t)).body;
    tbError(400, "Can't assign firmware with empty data!", 31)(await call("POST", "/api/device", { ...dev, firmwareId: { entityType: "OTA_PACKAGE", id } }, t));
    tbError(400, "Can't assign non-existent firmware!", 31)(await call("POST", "/api/device",
      { ...dev, firmwareId: { entityType: "OTA_PACKAGE", id: "00000000-0000-0000-0000-000000000000" } }, t));

    const uploaded = await call("POST", `/api/otaPackage/${id}?checksumAlgorithm=SHA256&checksum=${sha256(data)}`, form(data), t);
    assert.equal(uploaded.status, 200);
    assert.deepEqual([uploaded.body.hasData, uploaded.body.dataSize, uploaded.body.checksumAlgorithm, uploaded.body.checksum, uploaded.body.fileName, uploaded.body.contentType],
      [true, 700, "SHA256", sha256(data), "rest-1.js", "application/octet-stream"]);
    tbError(400, "Updating otaPackage data is prohibited!", 31)(await call("POST", `/api/otaPackage/${id}?checksumAlgorithm=SHA256`, form(Buffer.from("other")), t));

    const assigned = await call("POST", "/api/device", { ...dev, firmwareId: { entityType: "OTA_PACKAGE", id } }, t);
    assert.equal(assigned.status, 200);
    assert.equal(ep.attributes("dev2", "shared").fw_checksum, sha256(data));
  });

  test("without configured credentials any login works and no call needs a token", async () => {
    const open = await startEndpoint({});
    try {
      const base = `http://127.0.0.1:${open.ports.http}`;
      const login = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"a","password":"b"}' });
      const body = await login.json() as { token: string; refreshToken: string };
      assert.equal(login.status, 200);
      assert.deepEqual(Object.keys(body).sort(), ["refreshToken", "token"]);
      assert.equal((await fetch(`${base}/api/tenant/devices?deviceName=dev1`)).status, 200);
      const { packageId } = await uploadToThingsBoard({ url: base, username: "", password: "", deviceName: "dev2", title: "open", version: "1", data: Buffer.from("x") });
      assert.equal(open.attributes("dev2", "shared").fw_title, "open");
      assert.match(packageId, /^[0-9a-f-]{36}$/);
    } finally {
      await open.stop();
    }
  });
});
