// Property tests of stream assembly: any chunking of any packet sequence decodes to the same
// packets; arbitrary bytes never throw out of the decoder nor grow its buffer past the limit. And
// topic matching against a reference made from MQTT 3.1.1 §4.7.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decoder } from "../tools/mqtt/decoder.ts";
import { encode } from "../tools/mqtt/encode-packet.ts";
import { parseAny } from "../tools/mqtt/parse-any.ts";
import type { Packet } from "../src/mqtt/packet.ts";
import { matches, validFilter } from "../src/mqtt/index.ts";
import { bytes, ourParse, refParse } from "./helpers/mqtt-ref.ts";

const binary = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u).toString("latin1"));
const topic = fc.string({ unit: "binary", minLength: 1, maxLength: 30 }).map(bytes);
const id = fc.integer({ min: 1, max: 65535 });

const anyPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ type: fc.constant(1), clean: fc.boolean(), keepalive: fc.integer({ min: 0, max: 65535 }),
    clientId: fc.string({ minLength: 1, maxLength: 23 }).map(bytes), username: fc.option(fc.string({ maxLength: 40 }).map(bytes), { nil: undefined }),
    password: fc.option(binary(40), { nil: undefined }) },
  { requiredKeys: ["type", "clean", "keepalive", "clientId"] }),
  fc.record({ type: fc.constant(2), session: fc.boolean(), code: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ type: fc.constant(3), qos: fc.constant(0), dup: fc.boolean(), retain: fc.boolean(), topic, payload: binary(600) }),
  fc.record({ type: fc.constant(3), qos: fc.constant(1), dup: fc.boolean(), retain: fc.boolean(), id, topic, payload: binary(600) }),
  fc.record({ type: fc.constant(4), id }),
  fc.record({ type: fc.constant(8), id, subs: fc.array(fc.record({ topic, qos: fc.integer({ min: 0, max: 1 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant(9), id, granted: fc.array(fc.constantFrom(0, 1, 128), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant(10), id, topics: fc.array(topic, { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant(11), id }),
  fc.record({ type: fc.constantFrom(12, 13, 14) }),
);

// fast-check builds records without a prototype; the decoder's are plain objects.
const packet = anyPacket.map((p) => JSON.parse(JSON.stringify(p)) as Packet);

/** Cuts s at the given fractions of its length (sorted, duplicates give empty chunks). */
function cut(s: string, at: number[]): string[] {
  const pos = at.map((f) => Math.floor(f * s.length)).sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of pos) {
    out.push(s.slice(last, p));
    last = p;
  }
  out.push(s.slice(last));
  return out;
}

test("random packet sequences cut at random boundaries decode to the same packets", () => {
  fc.assert(
    fc.property(fc.array(packet, { minLength: 1, maxLength: 12 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (ps, at) => {
        const wire = ps.map(encode).join("");
        assert.deepEqual(ourParse(cut(wire, at)), ps);
        assert.deepEqual(refParse(Buffer.from(wire, "latin1")), ps, "mqtt-packet agrees");
      }),
    { numRuns: 300 },
  );
});

test("byte-by-byte feeding gives the same packets", () => {
  fc.assert(
    fc.property(fc.array(packet, { minLength: 1, maxLength: 4 }), (ps) => {
      const wire = ps.map(encode).join("");
      assert.deepEqual(ourParse(wire.split("")), ps);
    }),
    { numRuns: 100 },
  );
});

test("random bytes never throw out of the decoder and never grow its buffer past the limit", () => {
  const max = 64;
  fc.assert(
    fc.property(fc.array(binary(300), { maxLength: 30 }), (chunks) => {
      const d = decoder(max, parseAny);
      for (const c of chunks) {
        const err = d.feed(c, (p) => assert.equal(typeof p.type, "number"));
        assert.equal(typeof err, "string");
        assert.ok(d.held() <= max, "held " + d.held() + " > " + max);
        if (err) {
          assert.equal(d.held(), 0);
          assert.doesNotMatch(err, /\n/, "one line");
        }
      }
    }),
    { numRuns: 500 },
  );
});

test("a packet of exactly the limit passes, one byte more is refused before its body arrives", () => {
  const p = encode({ type: 3, qos: 0, dup: false, retain: false, topic: "t", payload: "z".repeat(100) });
  const d = decoder(p.length, parseAny);
  let n = 0;
  assert.equal(d.feed(p, () => n++), "");
  assert.equal(n, 1);
  const small = decoder(p.length - 1, parseAny);
  assert.equal(small.feed(p.slice(0, 3), () => n++), `packet of ${p.length} bytes over limit ${p.length - 1}`);
  assert.equal(small.held(), 0);
});

/** MQTT 3.1.1 §4.7 as a regex: "+" fills one level (maybe empty), "#" the parent level and all below;
 *  a filter starting with a wildcard does not match a topic starting with "$". */
function refMatches(filter: string, topic: string): boolean {
  if (topic[0] == "$" && (filter[0] == "+" || filter[0] == "#")) return false;
  const src = filter.split("/").map((l, i) => l == "#" ? (i ? "(/.*)?" : ".*")
    : (i ? "/" : "") + (l == "+" ? "[^/]*" : l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp("^" + src + "$", "s").test(topic);
}

test("matches() agrees with MQTT 3.1.1's topic matching on random filters and topics", () => {
  const level = fc.constantFrom("a", "b", "", "$", "$a", "a.b");
  const topicOf = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join("/"));
  const filterOf = fc.array(fc.oneof(level, fc.constantFrom("+", "#")), { minLength: 1, maxLength: 4 })
    .map((l) => l.join("/")).filter(validFilter);
  let hits = 0;
  fc.assert(
    fc.property(filterOf, topicOf, (f, t) => {
      const want = refMatches(f, t);
      if (want) hits++;
      assert.equal(matches(f, t), want, `matches(${JSON.stringify(f)}, ${JSON.stringify(t)})`);
    }),
    { numRuns: 3000 },
  );
  assert.ok(hits > 300, "enough matching pairs: " + hits);
  // The cases the spec spells out.
  for (const [f, t, m] of [["sport/tennis/player1/#", "sport/tennis/player1", true], ["sport/#", "sport", true],
    ["sport/+", "sport/", true], ["sport/+", "sport", false], ["+/+", "/finance", true], ["/+", "/finance", true],
    ["+", "/finance", false], ["#", "$SYS/x", false], ["+/monitor", "$SYS/monitor", false], ["$SYS/#", "$SYS/x", true],
    ["a/b", "a/b/c", false], ["a/b/c", "a/b", false]] as const) {
    assert.equal(matches(f, t), m, `${f} ${t}`);
    assert.equal(refMatches(f, t), m, `reference: ${f} ${t}`);
  }
});
