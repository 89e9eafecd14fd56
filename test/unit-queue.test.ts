// The reading queue the firmware keeps while the link is down: a fixed Float64Array ring.
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
