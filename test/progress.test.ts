// The progress line of long host steps: redrawn in place on a terminal, silent elsewhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import { progress } from "../tools/common/progress.ts";

function stream(isTTY: boolean, columns = 80) {
  const out: string[] = [];
  return { isTTY, columns, out, write: (s: string) => out.push(s) };
}

test("on a terminal: one line redrawn in place with a percentage, cleared when done", () => {
  const s = stream(true);
  const p = progress("flash", s);
  p.update("uploading", 0.256);
  p.update("uploading", 0.256);
  p.update("uploading", 1.5);
  p.done();
  assert.deepEqual(s.out, ["\rI flash: uploading 25%\x1b[K", "\rI flash: uploading 100%\x1b[K", "\r\x1b[K"]);
});

test("a line wider than the terminal is cut to fit", () => {
  const s = stream(true, 20);
  progress("build", s).update("type-checking the firmware and its many modules");
  assert.equal(s.out[0], "\rI build: type-check\x1b[K");
});

test("a terminal that reports no width (0 columns) gets the whole line", () => {
  const s = stream(true, 0);
  progress("build", s).update("bundling src/");
  assert.equal(s.out[0], "\rI build: bundling src/\x1b[K");
});

test("not a terminal: nothing is written", () => {
  const s = stream(false);
  const p = progress("build", s);
  p.update("bundling", 0.5);
  p.done();
  assert.deepEqual(s.out, []);
});
