// Our codec against mqtt-packet as the reference, both ways, incl. every remaining-length edge.
import { test } from "node:test";
import assert from "node:assert/strict";
import mqttPacket from "mqtt-packet";
import { encode } from "../tools/mqtt/encode-packet.ts";
import { decoder } from "../tools/mqtt/decoder.ts";
import { parseAny } from "../tools/mqtt/parse-any.ts";
import { reader } from "../tools/mqtt/reader.ts";
import type { Packet } from "../src/mqtt/packet.ts";
import { utf8 } from "../src/mqtt/index.ts";
import { bytes, ourParse, refParse, toRef } from "./helpers/mqtt-ref.ts";

const SAMPLES: Packet[] = [
  { type: 1, clean: true, keepalive: 60, clientId: "dev-1", username: "A1_TEST_TOKEN" },
  { type: 1, clean: false, keepalive: 0, clientId: "x" },
  { type: 1, clean: true, keepalive: 1, clientId: "" },
  { type: 1, clean: true, keepalive: 65535, clientId: bytes("gerät"), username: "u", password: "p\x00\xff" },
  { type: 2, session: false, code: 0 },
  { type: 2, session: true, code: 5 },
  { type: 3, qos: 0, dup: false, retain: false, topic: "v1/devices/me/telemetry", payload: '{"t":1}' },
  { type: 3, qos: 1, dup: true, retain: true, id: 65535, topic: bytes("température/°C/😀"), payload: "" },
  { type: 3, qos: 1, dup: false, retain: false, id: 1, topic: "a", payload: "\x00\x01\xfe\xff" },
  { type: 4, id: 7 },
  { type: 8, id: 2, subs: [{ topic: "v1/devices/me/rpc/request/+", qos: 1 }, { topic: "a/#", qos: 0 }] },
  { type: 9, id: 2, granted: [1, 0, 128] },
  { type: 10, id: 3, topics: ["v1/devices/me/attributes", bytes("ä/+")] },
  { type: 11, id: 3 },
  { type: 12 },
  { type: 13 },
  { type: 14 },
];

test("every packet type: ours encodes what mqtt-packet parses back to the same packet", () => {
  for (const p of SAMPLES) {
    assert.deepEqual(refParse(Buffer.from(encode(p), "latin1")), [p], JSON.stringify(p));
  }
});

test("every packet type: mqtt-packet generates what ours decodes to the same packet, byte for byte equal", () => {
  for (const p of SAMPLES) {
    const ref = mqttPacket.generate(toRef(p)).toString("latin1");
    assert.deepEqual(ourParse(ref), [p], JSON.stringify(p));
    assert.equal(encode(p), ref, "same bytes for " + JSON.stringify(p));
  }
});

test("remaining length edges 0, 127, 128, 16383, 16384, 2097151, 2097152 both ways", () => {
  for (const len of [0, 127, 128, 16383, 16384, 2097151, 2097152]) {
    const p: Packet = len == 0 ? { type: 12 }
      : { type: 3, qos: 0, dup: false, retain: false, topic: "t", payload: "x".repeat(len - 3) };
    const ours = encode(p);
    const ref = mqttPacket.generate(toRef(p)).toString("latin1");
    assert.equal(ours.length, ref.length, "length at " + len);
    assert.equal(ours.slice(0, 5), ref.slice(0, 5), "header at " + len);
    assert.equal(ours, ref);
    const lenBytes = len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : 4;
    assert.equal(ours.length, 1 + lenBytes + len);
    assert.deepEqual(ourParse(ref), [p]);
    assert.deepEqual(refParse(Buffer.from(ours, "latin1")), [p]);
  }
});

test("utf8 matches Node's encoder, and ASCII comes back unchanged", () => {
  for (const s of ["", "abc", "é", "température", "€", "日本語", "😀x", "\x7f\x80\u07ff\u0800\uffff"]) {
    assert.equal(utf8(s), Buffer.from(s, "utf8").toString("latin1"), s);
  }
  const ascii = "v1/devices/me/telemetry";
  assert.equal(utf8(ascii), ascii);
});

function firstError(wire: string, max = 4096): string {
  const d = decoder(max, parseAny);
  const got: Packet[] = [];
  const err = d.feed(wire, (p) => got.push(p));
  assert.equal(d.held(), 0, "buffer emptied after an error");
  return err;
}

test("malformed input is reported with a one-line reason, never thrown", () => {
  const cases: [string, RegExp][] = [
    ["\x30\xff\xff\xff\xff\x01", /bad remaining length/],
    ["\x30\x80\x80\x80\x01", /packet of \d+ bytes over limit 4096/],
    ["\x00\x00", /^unexpected packet type 0$/],
    ["\xf0\x00", /^unexpected packet type 15$/],
    ["\x50\x02\x00\x01", /^unexpected packet type 5$/],
    ["\x36\x03\x00\x01a", /^malformed packet type 3$/],
    ["\x34\x03\x00\x01a", /^malformed packet type 3$/],
    ["\x30\x02\x00\x05", /^malformed packet type 3$/],
    ["\x32\x03\x00\x01a", /^malformed packet type 3$/],
    ["\x20\x03\x00\x00\x00", /malformed packet type 2/],
    ["\x20\x02\x02\x00", /malformed packet type 2/],
    ["\x21\x02\x00\x00", /^malformed packet type 2$/],
    ["\x40\x01\x00", /malformed packet type 4/],
    ["\x90\x02\x00\x01", /malformed packet type 9/],
    ["\xc0\x01\x00", /malformed packet type 12/],
    ["\x80\x03\x00\x01\x00", /bad flags on type 8/],
    ["\x82\x02\x00\x01", /packet type 8 without topics/],
    ["\x82\x05\x00\x01\x00\x09a", /malformed packet type 8/],
    ["\x10\x0a\x00\x04MQIs\x03\x02\x00\x3c", /^not MQTT 3\.1\.1: protocol "MQIs" level 3$/],
    // Found by the random-bytes property: a protocol name holding a newline must not split the line.
    ["\x10\x03\x00\x01\n", /^not MQTT 3\.1\.1: protocol "\\n" level 0$/],
    ["\x10\x0c\x00\x04MQTT\x04\x06\x00\x3c\x00\x00", /will and reserved bit not supported/],
  ];
  for (const [wire, re] of cases) assert.match(firstError(wire), re, JSON.stringify(wire));
});

test("a packet split inside its length bytes, and several packets in one chunk", () => {
  const a = encode({ type: 3, qos: 1, dup: false, retain: false, id: 9, topic: "t", payload: "y".repeat(200) });
  const b = encode({ type: 13 });
  const wire = a + b + a;
  assert.equal(a.charCodeAt(1) & 128, 128, "two length bytes");
  const chunks = [wire.slice(0, 2), wire.slice(2, 3), wire.slice(3)];
  assert.deepEqual(ourParse(chunks).map((p) => p.type), [3, 13, 3]);
  const d = decoder(4096, parseAny);
  assert.equal(d.feed(wire.slice(0, 2), () => assert.fail("not complete yet")), "");
  assert.equal(d.held(), 2);
});

test("a handler that resets the decoder drops the rest of the chunk", () => {
  const d = decoder(4096, parseAny);
  const seen: number[] = [];
  assert.equal(d.feed(encode({ type: 13 }) + encode({ type: 12 }), (p) => { seen.push(p.type); d.reset(); }), "");
  assert.deepEqual(seen, [13]);
  assert.equal(d.held(), 0);
});

test("encode refuses a type it does not know", () => {
  assert.throws(() => encode({ type: 6 }), /packet type 6 is not supported/);
});

test("readers are reentrant: two interleaved reads, and a parse in between, each keep their own cursor", () => {
  const body = (p: Packet) => { const w = encode(p); return w.slice(w.length - w.charCodeAt(1)); };
  const sub = body({ type: 8, id: 258, subs: [{ topic: "a/b", qos: 1 }, { topic: "c", qos: 0 }] });
  const con = body({ type: 1, clean: true, keepalive: 60, clientId: "dev-1", username: "tok" });
  const a = reader(sub);
  const b = reader(con);
  assert.equal(a.u16(), 258);
  assert.equal(b.str(), "MQTT");
  assert.equal(a.str(), "a/b");
  assert.equal(b.u8(), 4);
  // A whole parse between two reads of `a` must not move a's cursor (a module-wide one did).
  assert.deepEqual(parseAny(0x10, con), { type: 1, clean: true, keepalive: 60, clientId: "dev-1", username: "tok" });
  assert.equal(a.u8(), 1);
  assert.equal(b.u8(), 0x82);
  assert.equal(a.str(), "c");
  assert.equal(b.u16(), 60);
  assert.equal(a.u8(), 0);
  assert.ok(a.whole() && !a.more(), "a took exactly its body");
  assert.equal(b.str(), "dev-1");
  assert.equal(b.rest(), "\x00\x03tok");
  assert.ok(b.whole(), "b took exactly its body");
  assert.equal(a.u8(), 0, "past the end reads 0");
  assert.ok(!a.whole(), "and whole() then says so");
});
