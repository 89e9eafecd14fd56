// The SNTP clock step on the virtual board (docs/espruino.md §3.2): Espruino keys its timers on the system
// time, so when the clock jumps ~56 years forward every pending setTimeout fires at once and a
// setInterval runs back to back, adding its interval each time, until it has caught up. First the
// node engine's timers (tools/vboard/clock.ts) on their own, then a program on each engine.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BoardClock, BoardTimers } from "../tools/vboard/clock.ts";
import { createBoard } from "../tools/vboard/index.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";

const STEP_S = 56 * 365.25 * 86400;
const dir = mkdtempSync(join(tmpdir(), "vboard-step-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Timers on a clock running at board speed `scale`; `log` collects what ran. */
function timers(scale = 1) {
  const clock = new BoardClock(scale);
  const log: string[] = [];
  const t = new BoardTimers(clock, (fn) => fn());
  return { clock, t, log };
}

test("node engine: at a step every pending timeout fires at once, in the order they were set", async () => {
  const { clock, t, log } = timers();
  t.set(() => log.push("60s"), 60_000, [], false);
  t.set((a: unknown) => log.push("15s " + a), 15_000, ["arg"], false);
  t.set(() => log.push("1h"), 3_600_000, [], false);
  await sleep(30);
  assert.deepEqual(log, []);
  const t0 = Date.now();
  clock.setTime(clock.now() + STEP_S);
  while (log.length < 3 && Date.now() - t0 < 1000) await sleep(1);
  assert.deepEqual(log, ["60s", "15s arg", "1h"], "all three at once, in id order, with their arguments");
  assert.equal(t.count, 0);
});

test("node engine: a timeout set during or after the step counts from the new time", async () => {
  const { clock, t, log } = timers(10);
  t.set(() => {
    log.push("old");
    t.set(() => log.push("re-armed"), 1_000, [], false);
  }, 60_000, [], false);
  clock.setTime(clock.now() + STEP_S);
  await sleep(30);
  assert.deepEqual(log, ["old"], "the one armed in the step's callback waits its 1000 board ms (100 ms here)");
  await sleep(150);
  assert.deepEqual(log, ["old", "re-armed"]);
  t.clearAll();
});

test("node engine: after a step an interval runs back to back, adding its interval each time, without starving Node", async () => {
  const { clock, t } = timers();
  const seen: number[] = [];
  const id = t.set(() => seen.push(clock.now()), 1000, [], true);
  await sleep(20);
  const stepped = clock.now() + STEP_S;
  clock.setTime(stepped);
  // Node's own timers and I/O still get turns while the interval catches up.
  let nodeTicks = 0;
  const nodeTimer = setInterval(() => nodeTicks++, 5);
  await sleep(300);
  clearInterval(nodeTimer);
  const runs = seen.length;
  assert.ok(runs > 1000, `ran ${runs} times in 300 ms: back to back, not once a second`);
  assert.ok(nodeTicks >= 10, `Node's own timers ran ${nodeTicks} times meanwhile`);
  assert.ok(seen.every((s) => s >= stepped), "every run after the step");
  t.clear(id, "Interval");
  await sleep(20);
  const after = seen.length;
  await sleep(50);
  assert.equal(seen.length, after, "clearInterval stops it");
  // 56 years at one run per second is ~1.8e9 runs: it would never catch up in a test.
  assert.ok(runs < STEP_S);
});

test("node engine: a step back delays pending timers by the step; a small step forward fires only what is due", async () => {
  const { clock, t, log } = timers(10);
  t.set(() => log.push("2s"), 2000, [], false);
  t.set(() => log.push("20s"), 20_000, [], false);
  clock.setTime(clock.now() - 3600);
  await sleep(400); // 4 board seconds
  assert.deepEqual(log, [], "an hour back: nothing due for an hour");
  clock.setTime(clock.now() + 3600 + 5);
  await sleep(50);
  assert.deepEqual(log, ["2s"], "5 s past the 2 s one, 15 s before the 20 s one");
  t.clearAll();
});

// The same rules as a program sees them, on both engines: test/vboard.test.ts ("as the real interpreter does").
test("node engine: clear of a fired, cleared or never issued id is ignored, undefined throws and clears nothing, clearAll clears all (2v29)", async () => {
  const { t, log } = timers();
  const fired = t.set(() => log.push("fired"), 1, [], false);
  await sleep(20);
  assert.deepEqual(log, ["fired"]);
  t.clear(fired, "Timeout");
  t.clear(fired, "Timeout");
  t.clear(424242, "Interval");
  t.clear(null, "Timeout");
  t.clear(0, "Timeout");
  t.set(() => log.push("a"), 30, [], false);
  t.set(() => log.push("b"), 30, [], true);
  assert.equal(t.count, 2);
  assert.throws(() => t.clear(undefined, "Timeout"), { message: "clearTimeout(undefined) not allowed. Use clearTimeout() instead" });
  assert.throws(() => t.clear(undefined, "Interval"), { message: "clearInterval(undefined) not allowed. Use clearInterval() instead" });
  assert.equal(t.count, 2, "an explicit undefined clears nothing");
  await sleep(50);
  assert.deepEqual(log.slice(0, 3), ["fired", "a", "b"]);
  t.clearAll();
  assert.equal(t.count, 0, "clearTimeout() with no argument: every timer");
  const n = log.length;
  await sleep(60);
  assert.equal(log.length, n, "the interval runs no more");
});

// The same on a board: a program with a 60 s timeout and a 1 s interval, and its clock stepped.
const PROGRAM = `var n = 0;
setTimeout(function () { print("T60 " + (getTime() > 1e9)); }, 60000);
setInterval(function () { n++; }, 1000);
function report() { print("N " + n); setTimeout(report, 100); }
setTimeout(function () { print("READY"); report(); }, 50);`;

for (const engine of ENGINES) {
  test(`a program's pending timeout fires at the step and its interval runs back to back [${engine}]`, onEngine(engine), async () => {
    const b = createBoard({ engine, board: "esp32", storageDir: join(dir, "prog-" + engine), ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: 1 });
    try {
      b.flash(PROGRAM);
      b.boot();
      await b.waitFor(/^READY$/, 10_000);
      await b.waitFor(/^N 0$/, 5000);
      assert.doesNotMatch(b.output, /T60/, "60 s have not passed");
      const at = b.output.length;
      const t0 = Date.now();
      b.stepClock();
      await b.waitFor(/^T60 true$/, 5000, at);
      assert.ok(Date.now() - t0 < 3000, "the 60 s timeout fired at the step, not 60 s later");
      // A 1 s interval that ran once a second would show N 1 or N 2 here.
      await b.waitFor(/^N ([1-9]\d{3,})$/, 5000, at);
    } finally {
      await b.stop();
    }
  });
}
