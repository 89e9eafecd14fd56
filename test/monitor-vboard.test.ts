// npm run monitor against the virtual board's TCP REPL: lines coloured by ESP-IDF level when asked
// (FORCE_COLOR) and plain with NO_COLOR, keys reach the REPL, Ctrl-] or Ctrl-C twice leaves.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../tools/common/board.ts";
import { colourLine, colourWanted, levelOf } from "../tools/serial/colour.ts";
import { visibleLine } from "../tools/serial/terminal.ts";
import { VirtualBoard } from "../tools/vboard/index.ts";
import { startRepl, type ReplServer } from "../tools/vboard/repl.ts";

let dir: string;
let vb: VirtualBoard;
let repl: ReplServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-monitor-"));
  vb = new VirtualBoard({ board: "esp32", storageDir: dir });
  vb.flash("setInterval(function () { print('E (1) t: bad'); print('W (2) t: odd'); print('I (3) t: fine'); print('D (4) t: detail'); print('plain'); }, 150);");
  vb.boot();
  repl = await startRepl(vb);
});

after(async () => {
  await repl?.close();
  await vb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the monitor CLI; `step` sees stdout so far and may type. Killed after 15 s. */
function monitor(env: Record<string, string>, step: (out: string, type: (s: string) => void) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "tools/monitor/cli.ts"), "--port", repl.url],
      { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "", NO_COLOR: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; step(stdout, (s) => child.stdin.write(s)); });
    child.stderr.on("data", (d) => { stderr += d; });
    const limit = setTimeout(() => child.kill(), 15_000);
    child.on("close", (code) => { clearTimeout(limit); resolve({ code, stdout, stderr }); });
  });
}

test("FORCE_COLOR: E red, W yellow, I green, D dim, other lines untouched; Ctrl-] leaves", async () => {
  let sent = false;
  const r = await monitor({ FORCE_COLOR: "1" }, (out, type) => {
    if (!sent && out.includes("plain\n")) { sent = true; type("\x1d"); }
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^--- monitor on tcp:\/\/127\.0\.0\.1:\d+; leave with Ctrl-\] or Ctrl-C twice ---$/m);
  assert.match(r.stdout, /\x1b\[31mE \(1\) t: bad\x1b\[0m\n/);
  assert.match(r.stdout, /\x1b\[33mW \(2\) t: odd\x1b\[0m\n/);
  assert.match(r.stdout, /\x1b\[32mI \(3\) t: fine\x1b\[0m\n/);
  assert.match(r.stdout, /\x1b\[2mD \(4\) t: detail\x1b\[0m\n/);
  assert.match(r.stdout, /(^|\n)plain\n/);
  assert.match(r.stderr, /--- monitor closed ---/);
});

test("NO_COLOR: plain lines; typed input reaches the REPL; Ctrl-C twice leaves", async () => {
  let stage = 0;
  const r = await monitor({ NO_COLOR: "1", FORCE_COLOR: "1" }, (out, type) => {
    if (stage === 0 && out.includes("I (3) t: fine\n")) { stage = 1; type("6*7\r"); }
    if (stage === 1 && /=42/.test(out)) { stage = 2; type("\x03"); setTimeout(() => type("\x03"), 100); }
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
  assert.match(r.stdout, /=42\n/);
  assert.match(r.stderr, /--- press Ctrl-C again to leave \(or Ctrl-\]\) ---/);
});

test("a monitor on a missing serial port or without --port says what to do", async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "tools/monitor/cli.ts"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("close", (code) => resolve({ code, stderr }));
  });
  const missing = await run(["--port", join(dir, "ttyACM9"), "--board", "esp32c3"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^E monitor: \S+ttyACM9 does not exist: /);
  const refused = await run(["--port", "tcp://127.0.0.1:9"]);
  assert.match(refused.stderr, /^E monitor: nothing listens on tcp:\/\/127\.0\.0\.1:9: start the board's TCP console first/);
});

test("colour rules: NO_COLOR wins, FORCE_COLOR forces, else only a TTY; CR-overwritten text is dropped", () => {
  assert.equal(colourWanted({ isTTY: true }, { NO_COLOR: "1" }), false);
  assert.equal(colourWanted({ isTTY: false }, { FORCE_COLOR: "1" }), true);
  assert.equal(colourWanted({ isTTY: false }, { FORCE_COLOR: "0" }), false);
  assert.equal(colourWanted({ isTTY: true }, {}), true);
  assert.equal(colourWanted({}, {}), false);
  assert.equal(levelOf("E (12) app: x"), "E");
  assert.equal(levelOf("Error (12) app: x"), undefined);
  assert.equal(colourLine("V (1) t: v", true), "\x1b[2mV (1) t: v\x1b[0m");
  assert.equal(colourLine("I (1) t: v", false), "I (1) t: v");
  assert.equal(visibleLine(">\rI (5) t: x\r"), "I (5) t: x");
});
