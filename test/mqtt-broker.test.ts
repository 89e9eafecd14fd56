// The client against a real mosquitto over TLS (RSA certificate, password file, no anonymous),
// through Espruino-shaped sockets (tools/vboard/sockets.ts: binary strings, <= 536-byte chunks).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { startMosquitto, type Broker } from "./helpers/mosquitto.ts";
import { recordedClient, type Recorded } from "./helpers/espruino-mqtt-client.ts";
import { createClient, utf8, type Socket } from "../src/mqtt/index.ts";
import type { Packet } from "../src/mqtt/packet.ts";
import { encode } from "../tools/mqtt/encode-packet.ts";
import { bytes, refParse } from "./helpers/mqtt-ref.ts";

const USER = "A1_TEST_TOKEN_0123";
const PASS = "device-password";
let broker: Broker;
const open: Recorded[] = [];

function client(o: Parameters<typeof recordedClient>[1], port = broker.port, kind: "tls" | "net" = "tls"): Recorded {
  const r = recordedClient(port, { username: USER, password: PASS, ...o }, kind);
  open.push(r);
  return r;
}

async function connected(r: Recorded): Promise<void> {
  r.client.open();
  await r.until(() => r.client.connected(), 5000, "CONNACK");
}

before(async () => {
  broker = await startMosquitto({ [USER]: PASS });
});

after(async () => {
  for (const r of open) r.client.close();
  await broker.close();
});

test("connects, reports sessionPresent, closes with DISCONNECT", async () => {
  const c = client({ clientId: "t-connect" });
  await connected(c);
  assert.deepEqual(c.events, ["connect false"]);
  c.client.close();
  assert.equal(c.written.at(-1), "\xe0\x00", "DISCONNECT is the last thing written");
  assert.equal(c.events.at(-1), "disconnect closed 0 closed by the client");
  assert.equal(c.client.connected(), false);
});

test("bad credentials: CONNACK 5 becomes a clear refusal", async () => {
  const c = client({ clientId: "t-bad", password: "wrong" });
  c.client.open();
  await c.until(() => c.events.length > 0, 5000, "refusal");
  assert.deepEqual(c.events, ["disconnect refused 5 refused with CONNACK 5"]);
});

test("publish/subscribe QoS 0 and 1, payloads from 0 bytes to 20 KB, non-ASCII topic (encoded by the caller)", async () => {
  const sub = client({ clientId: "t-sub", maxPacket: 32 * 1024 });
  const pub = client({ clientId: "t-pub", inflight: 3 });
  const got: { topic: string; payload: string; qos: number }[] = [];
  sub.client.subscribe("t/#", 1, (topic, payload, p) => got.push({ topic, payload, qos: p.qos! }));
  await connected(sub);
  await sub.until(() => sub.events.includes("suback t/# 1"), 3000, "SUBACK");
  await connected(pub);
  const sizes = [0, 1, 127, 128, 535, 536, 537, 5000, 16383, 16384, 20480];
  const sent: { topic: string; payload: string; qos: number }[] = [];
  const ids: number[] = [];
  for (const qos of [0, 1]) {
    for (const n of sizes) {
      let payload = "";
      for (let i = 0; i < n; i++) payload += String.fromCharCode(i * 7 & 255);
      const topic = `t/température/${qos}/${n}`;
      const r = pub.client.publish(utf8(topic), payload, qos);
      if (qos) ids.push(r);
      else assert.equal(r, 0);
      sent.push({ topic: bytes(topic), payload, qos });
    }
  }
  await sub.until(() => got.length >= sent.length, 10000, "all messages");
  await pub.until(() => pub.published.length == ids.length, 5000, "all PUBACKs");
  const key = (m: { topic: string }) => m.topic;
  assert.deepEqual([...got].sort((a, b) => key(a).localeCompare(key(b))), [...sent].sort((a, b) => key(a).localeCompare(key(b))));
  assert.deepEqual(pub.published, ids, "acknowledged in order");
  assert.deepEqual(new Set(ids).size, ids.length, "distinct packet ids");
  // A text payload goes out as the UTF-8 bytes the caller made of it with utf8()
  pub.client.publish("t/text", utf8("grüße €"), 1);
  await sub.until(() => got.some((m) => m.topic == "t/text"), 3000, "text message");
  assert.equal(got.find((m) => m.topic == "t/text")!.payload, bytes("grüße €"));
});

test("topics, filters and payloads are bytes: written unchanged, byte for byte, and delivered as sent", async () => {
  const sub = client({ clientId: "t-bytes-sub" });
  const pub = client({ clientId: "t-bytes-pub" });
  // A filter made from text by the caller; the client sends its bytes, reports them in the SUBACK and
  // matches the topics the broker sends against them.
  const filter = utf8("b/größe/+");
  const got: { topic: string; payload: string }[] = [];
  sub.client.subscribe(filter, 1, (topic, payload) => got.push({ topic, payload }));
  await connected(sub);
  await sub.until(() => sub.events.includes(`suback ${filter} 1`), 3000, "SUBACK");
  const subscribes = refParse(Buffer.from(sub.written.join(""), "latin1")).filter((p) => p.type == 8);
  assert.deepEqual(subscribes.map((p) => p.subs), [[{ topic: bytes("b/größe/+"), qos: 1 }]], "mqtt-packet reads the filter's bytes");
  await connected(pub);
  let all = "";
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  const sent = [
    // Text the caller encoded: its UTF-8 bytes.
    { topic: utf8("b/größe/text"), payload: utf8("grüße €") },
    // The same letters as bytes, not UTF-8: one byte each, not encoded again (the client used to).
    { topic: utf8("b/größe/latin1"), payload: "gr\xfc\xdfe" },
    { topic: utf8("b/größe/all"), payload: all },
  ];
  for (const m of sent) pub.client.publish(m.topic, m.payload, 1);
  await pub.until(() => pub.published.length == sent.length, 5000, "PUBACKs");
  await sub.until(() => got.length == sent.length, 5000, "all messages");
  const published = refParse(Buffer.from(pub.written.join(""), "latin1")).filter((p) => p.type == 3);
  assert.deepEqual(published.map((p) => ({ topic: p.topic, payload: p.payload })), sent, "mqtt-packet reads the bytes given");
  assert.deepEqual(published[0]!.payload, bytes("grüße €"));
  assert.equal(Buffer.from(published[1]!.payload!, "latin1").toString("hex"), "6772fcdf65");
  assert.deepEqual(got, sent, "delivered as sent");
});

test("an incoming packet over maxPacket ends the connection with a protocol reason", async () => {
  const sub = client({ clientId: "t-small", maxPacket: 1024 });
  const pub = client({ clientId: "t-big" });
  sub.client.subscribe("big/+", 0);
  await connected(sub);
  await sub.until(() => sub.events.includes("suback big/+ 0"), 3000, "SUBACK");
  await connected(pub);
  pub.client.publish("big/one", "x".repeat(2000), 0);
  await sub.until(() => sub.events.some((e) => e.startsWith("disconnect")), 3000, "disconnect");
  assert.equal(sub.events.at(-1), "disconnect protocol 0 packet of 2012 bytes over limit 1024");
});

test("keep-alive: PINGREQ when idle; a broker that stops answering is detected", async () => {
  const c = client({ clientId: "t-ping", keepalive: 1 });
  await connected(c);
  await new Promise((r) => setTimeout(r, 2300));
  const pings = c.written.filter((w) => w == "\xc0\x00").length;
  assert.ok(pings >= 2, "PINGREQ sent while idle: " + pings);
  assert.deepEqual(c.events, ["connect false"], "PINGRESPs keep it connected");
  const pid = broker.pid()!;
  process.kill(pid, "SIGSTOP");
  try {
    await c.until(() => c.events.length > 1, 3000, "keep-alive timeout");
  } finally {
    process.kill(pid, "SIGCONT");
  }
  assert.equal(c.events[1], "disconnect timeout 0 no PINGRESP in 1 s");
});

test("no CONNACK within connackTimeout ends the attempt", async () => {
  const silent: Server = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const port = (silent.address() as { port: number }).port;
  try {
    const c = client({ clientId: "t-silent", connackTimeout: 300 }, port, "net");
    c.client.open();
    await c.until(() => c.events.length > 0, 3000, "CONNACK timeout");
    assert.deepEqual(c.events, ["disconnect timeout 0 no CONNACK in 300 ms"]);
  } finally {
    silent.close();
  }
});

test("while disconnected: QoS 0 refused, QoS 1 queued (bounded, oldest dropped and reported), sent on connect", async () => {
  const sub = client({ clientId: "t-qsub" });
  sub.client.subscribe("q/#", 1);
  await connected(sub);
  await sub.until(() => sub.events.includes("suback q/# 1"), 3000, "SUBACK");
  const pub = client({ clientId: "t-queue", queue: 3 });
  assert.equal(pub.client.publish("q/0", "zero", 0), -1);
  const ids = [1, 2, 3, 4].map((i) => pub.client.publish("q/" + i, "m" + i, 1));
  assert.deepEqual(pub.dropped, [ids[0]], "the oldest is dropped and reported");
  await connected(pub);
  await sub.until(() => sub.messages.length == 3, 3000, "queued messages");
  assert.deepEqual(sub.messages.map((m) => m.payload), ["m2", "m3", "m4"]);
  await pub.until(() => pub.published.length == 3, 3000, "PUBACKs");
});

test("a handler that throws is logged; the next message and the PUBACKs still go through", async () => {
  const lines: string[] = [];
  let calls = 0;
  const c = client({ clientId: "t-throw", log: (l) => lines.push(l) });
  await connected(c);
  c.client.subscribe("t/throw", 1, () => {
    calls++;
    throw new Error("boom " + calls);
  });
  await c.until(() => c.events.some((e) => e.startsWith("suback t/throw")), 5000, "SUBACK");
  c.client.publish("t/throw", "a", 1);
  c.client.publish("t/throw", "b", 1);
  await c.until(() => calls == 2, 5000, "both messages");
  assert.deepEqual(lines, ["mqtt: handler threw Error: boom 1", "mqtt: handler threw Error: boom 2"]);
  const pubacks = c.written.filter((w) => w.charCodeAt(0) == 0x40);
  assert.equal(pubacks.length, 2, "each delivered QoS 1 message was acknowledged");
  assert.ok(c.client.connected());
  assert.deepEqual(c.events.filter((e) => e.startsWith("disconnect")), []);
});

test("a PUBLISH goes to every matching handler in order, even past one that throws or subscribes; else to onMessage", () => {
  // A socket the test drives: no broker, so each message arrives exactly once.
  const listeners: Record<string, (arg?: unknown) => void> = {};
  const written: string[] = [];
  const sock: Socket = { write: (d) => written.push(d), end: () => {}, on: (ev, cb) => (listeners[ev] = cb), removeAllListeners: () => {} };
  const seen: string[] = [];
  const logs: string[] = [];
  const c = createClient({ connect: () => sock, now: Date.now, clientId: "t-fanout", keepalive: 0, log: (l) => logs.push(l),
    onMessage: (t, p) => seen.push(`onMessage ${t} ${p}`) });
  c.subscribe("d/#", 1, (t, p) => {
    seen.push(`d/# ${t} ${p}`);
    throw new Error("boom");
  });
  c.subscribe("d/+", 1, (t, p) => {
    seen.push(`d/+ ${t} ${p}`);
    c.subscribe("d/x", 0, () => seen.push("d/x, subscribed during the delivery"));
  });
  c.subscribe("e/#", 1);
  c.subscribe("d/y", 1, (t, p) => seen.push(`d/y ${t} ${p}`));
  c.open();
  const feed = (p: Packet) => listeners.data!(encode(p));
  feed({ type: 2, session: false, code: 0 });
  feed({ type: 3, qos: 1, dup: false, retain: false, id: 9, topic: "d/x", payload: "1" });
  assert.deepEqual(seen, ["d/# d/x 1", "d/+ d/x 1"], "both matching handlers, in order; e/# has none, d/x came later");
  assert.deepEqual(logs, ["mqtt: handler threw Error: boom"]);
  assert.equal(written.at(-1), encode({ type: 4, id: 9 }), "PUBACK after the handlers");
  seen.length = 0;
  feed({ type: 3, qos: 0, dup: false, retain: false, topic: "e/1", payload: "2" });
  feed({ type: 3, qos: 0, dup: false, retain: false, topic: "f", payload: "3" });
  assert.deepEqual(seen, ["onMessage e/1 2", "onMessage f 3"], "no handler matched: onMessage");
  c.close();
});

test("bad arguments throw one-line errors naming the problem", () => {
  const c = client({ clientId: "t-args" });
  assert.throws(() => c.client.publish("a/+", "x", 1), { message: "mqtt: bad topic 'a/+' or QoS 1" });
  assert.throws(() => c.client.publish("", "x"), /bad topic ''/);
  assert.throws(() => c.client.publish("a", "x", 2), /or QoS 2/);
  assert.throws(() => c.client.subscribe("a/b#"), { message: "mqtt: bad filter 'a/b#'" });
  assert.throws(() => c.client.subscribe("#/a"), /bad filter '#\/a'/);
});

async function killMidStream(signal: NodeJS.Signals): Promise<{ sub: Recorded; pub: Recorded; ids: number[] }> {
  const N = 120;
  const sub = client({ clientId: "t-kill-sub-" + signal, clean: false, keepalive: 2, connackTimeout: 2000 });
  const pub = client({ clientId: "t-kill-pub-" + signal, queue: N, inflight: 5, keepalive: 2, connackTimeout: 2000 });
  sub.client.subscribe("k/" + signal, 1);
  await connected(sub);
  await sub.until(() => sub.events.includes(`suback k/${signal} 1`), 3000, "SUBACK");
  await connected(pub);
  const stopSub = sub.autoReconnect(100);
  const stopPub = pub.autoReconnect(100);
  const ids: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      ids.push(pub.client.publish("k/" + signal, String(i), 1));
      if (i == N / 2) {
        await broker.stop(signal);
        await new Promise((r) => setTimeout(r, 300));
        await broker.start();
      }
      if (i % 10 == 0) await new Promise((r) => setTimeout(r, 5));
    }
    await pub.until(() => pub.published.length >= N, 15000, "every PUBACK after the restart");
    if (signal == "SIGTERM") {
      await sub.until(() => new Set(sub.messages.map((m) => m.payload)).size == N, 15000, "every message at the subscriber");
    }
  } finally {
    stopSub();
    stopPub();
  }
  return { sub, pub, ids };
}

test("broker stopped (SIGTERM, state saved) and restarted mid-stream: every QoS 1 message delivered at least once", async () => {
  const { sub, pub, ids } = await killMidStream("SIGTERM");
  assert.ok(pub.events.some((e) => e.startsWith("disconnect socket")), "publisher saw the broker go: " + pub.events.join(" | "));
  assert.ok(pub.events.filter((e) => e.startsWith("connect")).length >= 2, "publisher reconnected");
  assert.deepEqual(pub.dropped, []);
  assert.deepEqual([...pub.published].sort((a, b) => a - b), [...ids].sort((a, b) => a - b), "each id acknowledged once");
  const payloads = new Set(sub.messages.map((m) => Number(m.payload)));
  for (let i = 0; i < ids.length; i++) assert.ok(payloads.has(i), "message " + i + " arrived");
});

test("broker killed (SIGKILL) and restarted mid-stream: every QoS 1 publish is resent until acknowledged", async () => {
  const { pub, ids } = await killMidStream("SIGKILL");
  assert.ok(pub.events.filter((e) => e.startsWith("connect")).length >= 2, "publisher reconnected");
  assert.deepEqual(pub.dropped, []);
  assert.deepEqual([...pub.published].sort((a, b) => a - b), [...ids].sort((a, b) => a - b));
  // The kill came right after a publish, before its PUBACK could arrive: it went again with DUP.
  const dups = pub.written.filter((w) => (w.charCodeAt(0) & 0xfe) == 0x3a).length;
  assert.ok(dups >= 1, "QoS 1 PUBLISH resent with DUP: " + dups);
});
