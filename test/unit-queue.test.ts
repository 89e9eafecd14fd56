// The reading queue the firmware keeps while the link is down: a fixed Float64Array ring.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createQueue } from "../src/telemetry/queue.ts";

test("keeps readings in order and reads them back by column", () => {
  const q = createQueue(3, 2);
  assert.equal(q.push(10, [25, 26]), true);
  assert.equal(q.push(20, [25.5, NaN]), true);
  assert.equal(q.count, 2);
  assert.deepEqual([q.get(0, 0), q.get(0, 1), q.get(0, 2)], [10, 25, 26]);
  assert.equal(q.get(1, 0), 20);
  assert.ok(Number.isNaN(q.get(1, 2)), "a missing value stays NaN");
  q.shift(1);
  assert.equal(q.get(0, 0), 20);
  q.shift(5);
  assert.equal(q.count, 0, "shift past the end empties it");
});

test("when full the oldest is dropped and counted", () => {
  const q = createQueue(2, 1);
  q.push(1, [1]);
  q.push(2, [2]);
  assert.equal(q.push(3, [3]), false);
  assert.equal(q.lost, 1);
  assert.deepEqual([q.get(0, 0), q.get(1, 0)], [2, 3]);
});

test("behaves as a bounded FIFO for any sequence of pushes and shifts", () => {
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
        q.push(t, [t * 2]);
      } else {
        model.splice(0, op);
        q.shift(op);
      }
      assert.equal(q.count, model.length);
      model.forEach((m, i) => { assert.equal(q.get(i, 0), m); assert.equal(q.get(i, 1), m * 2); });
      assert.equal(q.lost, dropped);
    }
  }));
});
