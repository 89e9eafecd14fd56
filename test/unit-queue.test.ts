// The reading queue the firmware keeps while the link is down: a fixed Int32Array ring.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createQueue } from "../src/telemetry/queue.ts";

test("keeps readings in order and reads them back by column", () => {
  const q = createQueue(3, 2);
  assert.equal(q.add(10, [25, 26]), true);
  assert.equal(q.add(20, [25.5, NaN]), true);
  assert.equal(q.count, 2);
  assert.deepEqual([q.valueAt(0, 0), q.valueAt(0, 1), q.valueAt(0, 2)], [10, 25, 26]);
  assert.equal(q.valueAt(1, 0), 20);
  assert.ok(Number.isNaN(q.valueAt(1, 2)), "a missing value stays NaN");
  q.drop(1);
  assert.equal(q.valueAt(0, 0), 20);
  q.drop(5);
  assert.equal(q.count, 0, "drop past the end empties it");
});

test("when full the oldest is dropped and counted", () => {
  const q = createQueue(2, 1);
  q.add(1, [1]);
  q.add(2, [2]);
  assert.equal(q.add(3, [3]), false);
  assert.equal(q.lost, 1);
  assert.deepEqual([q.valueAt(0, 0), q.valueAt(1, 0)], [2, 3]);
});

test("behaves as a bounded FIFO for any sequence of adds and drops", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 60 }), (cap, ops) => {
    const q = createQueue(cap, 1);
    const model: number[] = [];
    let dropped = 0;
    let t = 0;
    for (const op of ops) {
      if (op < 0 || op === 3) {
        t++;
        if (model.length === cap) { model.shift(); dropped++; }
        model.push(t);
        q.add(t, [t * 2]);
      } else {
        model.splice(0, op);
        q.drop(op);
      }
      assert.equal(q.count, model.length);
      model.forEach((m, i) => { assert.equal(q.valueAt(i, 0), m); assert.equal(q.valueAt(i, 1), m * 2); });
      assert.equal(q.lost, dropped);
    }
  }));
});

test("values of up to four decimals within +/-214,748.3647 come back exactly; others as missing", () => {
  const q = createQueue(1, 2);
  const limit = 2147483647;
  const count = fc.constantFrom(1, 10, 100, 1000, 10000).chain((d) => fc.tuple(fc.integer({ min: -Math.floor(limit * d / 10000), max: Math.floor(limit * d / 10000) }), fc.constant(d)));
  fc.assert(fc.property(count, fc.integer({ min: -3435973, max: 3435973 }),
    ([k, d], j) => {
      // How the drivers compute theirs: an integer count over a power of ten, or 1/16 steps (DS18B20).
      q.add(0, [k / d, j / 16]);
      assert.equal(q.valueAt(0, 1), k / d);
      assert.equal(q.valueAt(0, 2), j / 16);
    }));
  q.add(0, [(limit + 1) / 10000, -1e12]);
  assert.ok(Number.isNaN(q.valueAt(0, 1)) && Number.isNaN(q.valueAt(0, 2)), "beyond the range: missing, not wrapped");
  q.add(0, [Infinity, 1.00005]);
  assert.ok(Number.isNaN(q.valueAt(0, 1)), "Infinity: missing");
  assert.equal(q.valueAt(0, 2), 1.0001, "a fifth decimal is rounded to four");
});

test("times come back in full across 2^32 ms; readings 2^32 ms older than the newest are dropped and counted", () => {
  const T = 2 ** 32;
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.array(fc.integer({ min: 0, max: T - 1 }), { minLength: 1, maxLength: 6 }),
    (start, steps) => {
      const q = createQueue(8, 1);
      let t = start;
      const times: number[] = [];
      for (const step of steps) {
        t += step;
        times.push(t);
        q.add(t, [1]);
        // Readings span less than 2^32 ms: the oldest go first.
        while (t - times[0] >= T) times.shift();
        assert.deepEqual(Array.from({ length: q.count }, (_, i) => q.valueAt(i, 0)), times);
      }
      assert.equal(q.lost, steps.length - times.length);
    }));
  const q = createQueue(3, 1);
  q.add(T - 1, [1]);
  assert.equal(q.add(2 * T - 1, [2]), false, "a reading 2^32 ms newer than the oldest: the oldest is dropped");
  assert.deepEqual([q.count, q.lost, q.valueAt(0, 0)], [1, 1, 2 * T - 1]);
});
