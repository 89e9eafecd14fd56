// npm run monitor against the virtual board's TCP REPL, on both engines, as a user types at it:
// lines coloured by ESP-IDF level when asked (FORCE_COLOR) and plain with NO_COLOR; keys reach the
// REPL; Ctrl-C goes to the board and stops a busy loop there while the board runs on; Ctrl-] leaves;
// the Ctrl-T menu resets the board, shows help, toggles timestamps, sends Ctrl-T itself and builds
// and flashes. The bytes the monitor sends are also read off the wire from a plain TCP listener.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT } from "../tools/common/board.ts";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { colourLine, colourWanted, levelOf } from "../tools/serial/colour.ts";
import { TCP_RESET } from "../tools/serial/link.ts";
import { visibleLine } from "../tools/serial/terminal.ts";
import { createBoard, type Board, type EngineName } from "../tools/vboard/index.ts";
import { startRepl, type ReplServer } from "../tools/vboard/repl.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { startMonitor } from "./helpers/monitor.ts";
import { until } from "./helpers/wait.ts";

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-monitor-"));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const NOTICE = /^--- monitor on tcp:\/\/127\.0\.0\.1:\d+; leave with Ctrl-\], Ctrl-C goes to the board, Ctrl-T H: help ---$/m;
/** A REPL line that loops until Ctrl-C stops it; bounded at 20 s so that a failure cannot hang
 *  the test process (the node engine runs the board on this process's main thread). */
const BUSY_LOOP = "var n=0,t0=Date.now();while(true){n++;if(Date.now()-t0>20000)break;}\r";

/** A board on `engine` running `program` from Storage, with its REPL served on a free port. */
async function boardWithRepl(engine: EngineName, name: string, program: string): Promise<{ vb: Board; repl: ReplServer; stop(): Promise<void> }> {
  const vb = createBoard({ engine, board: "esp32", storageDir: join(dir, `${name}-${engine}`), telnet: true });
  vb.flash(program);
  vb.boot();
  let repl: ReplServer | undefined;
  try {
    await vb.waitFor(/^booted$/, 15_000);
    repl = await startRepl(vb);
  } catch (e) {
    await vb.stop();
    throw e;
  }
  return { vb, repl, stop: async () => { await repl!.close(); await vb.stop(); } };
}

/** The same in a process of its own (npm run sim), where a busy program cannot hold up the test:
 *  the node engine runs the program on its host's main thread. The espruino engine's program runs
 *  in the interpreter's process anyway. */
async function boardProcess(engine: EngineName, name: string, program: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (engine === "espruino") {
    const b = await boardWithRepl(engine, name, program);
    return { url: b.repl.url, stop: b.stop };
  }
  const file = join(dir, `${name}.js`);
  writeFileSync(file, program);
  const sim = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "tools/vboard/cli.ts"), "--file", file,
    "--storage", join(dir, `${name}-sim`), "--repl-port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  sim.stderr.on("data", (d) => { err += d; });
  const exited = new Promise<void>((r) => sim.on("close", () => r()));
  const limit = setTimeout(() => sim.kill("SIGKILL"), 120_000);
  const stop = async () => {
    clearTimeout(limit);
    sim.kill("SIGINT");
    // A SIGINT that lands while a board callback runs interrupts that callback instead (interrupt.ts).
    const late = setTimeout(() => sim.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(late);
  };
  try {
    const url = await until("the sim's REPL", () => /REPL on (tcp:\/\/\S+?),/.exec(err)?.[1], 20_000);
    return { url, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}: ${err}`);
  }
}

describe("colour and keys", () => {
  let b: Awaited<ReturnType<typeof boardWithRepl>>;
  before(async () => {
    b = await boardWithRepl("node", "colour", "print('booted');setInterval(function () { print('E (1) t: bad'); print('W (2) t: odd'); " +
      "print('I (3) t: fine'); print('D (4) t: detail'); print('plain'); }, 150);");
  });
  after(() => b?.stop());

  test("FORCE_COLOR: E red, W yellow, I green, D dim, other lines untouched; Ctrl-] leaves with status 0", async () => {
    const m = startMonitor(["--port", b.repl.url], { env: { FORCE_COLOR: "1", NO_COLOR: "" } });
    await m.until("stdout", /(^|\n)plain\n/);
    m.type("\x1d");
    assert.equal(await m.exit, 0, m.stderr);
    assert.match(m.stderr, NOTICE);
    assert.match(m.stdout, /\x1b\[31mE \(1\) t: bad\x1b\[0m\n/);
    assert.match(m.stdout, /\x1b\[33mW \(2\) t: odd\x1b\[0m\n/);
    assert.match(m.stdout, /\x1b\[32mI \(3\) t: fine\x1b\[0m\n/);
    assert.match(m.stdout, /\x1b\[2mD \(4\) t: detail\x1b\[0m\n/);
    assert.match(m.stdout, /(^|\n)plain\n/);
    assert.match(m.stderr, /--- monitor closed ---\n$/);
  });

  test("NO_COLOR: plain lines; typed input reaches the REPL; Ctrl-C is the board's, not a way out", async () => {
    const m = startMonitor(["--port", b.repl.url], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    await m.until("stdout", /I \(3\) t: fine\n/);
    m.type("6*7\r");
    await m.until("stdout", /=42\n/);
    m.type("\x03\x03");
    const from = m.stdout.length;
    await m.until("stdout", /plain\n/, 5000, from);
    assert.equal(m.stderr.match(/^--- monitor closed/m), null, "two Ctrl-C do not leave");
    m.type("\x1d");
    assert.equal(await m.exit, 0, m.stderr);
    assert.doesNotMatch(m.stdout, /\x1b\[/);
  });

  test("--timestamps stamps each line; Ctrl-T T turns them off and says so", async () => {
    const m = startMonitor(["--port", b.repl.url, "--timestamps"]);
    await m.until("stdout", /\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} plain\n/);
    m.type("\x14t");
    await m.until("stderr", /^--- timestamps off ---$/m);
    const from = m.stdout.length;
    await m.until("stdout", /(^|\n)plain\n/, 5000, from);
    m.type("\x14T");
    await m.until("stderr", /^--- timestamps on ---$/m);
    m.type("\x14\x1d");
    assert.equal(await m.exit, 0, m.stderr);
    assert.match(m.stdout.slice(from), /(^|\n)W \(2\) t: odd\n/, "unstamped lines after Ctrl-T T");
  });
});

describe("the bytes on the wire", () => {
  let server: ReturnType<typeof createServer>;
  let port = 0;
  let received = "";
  let peer: Socket | undefined;
  before(async () => {
    server = createServer((s) => { peer = s; s.on("data", (d) => { received += d.toString("latin1"); }); s.write("I (1) t: hello\r\n"); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => { peer?.destroy(); server.close(() => r()); }));

  test("Ctrl-C and Ctrl-T Ctrl-T are sent; help, timestamps and unknown menu keys are not; Ctrl-T R sends Espruino's reboot; Ctrl-T X leaves", async () => {
    const m = startMonitor(["--port", `tcp://127.0.0.1:${port}`]);
    await m.until("stdout", /I \(1\) t: hello\n/);
    m.type("ab\x03");
    await until("a, b and Ctrl-C on the wire", () => received === "ab\x03");
    m.type("\x14h");
    await m.until("stderr", /^--- Ctrl-T +menu key, followed by:$/m);
    assert.match(m.stderr, /^--- {3}R +reset the board \(Ctrl-C, then E\.reboot\(\)\)$/m);
    m.type("\x14q\x14\x14");
    await m.until("stderr", /^--- Ctrl-T q: no such command \(Ctrl-T H: help\) ---$/m);
    await until("one literal Ctrl-T on the wire", () => received === "ab\x03\x14");
    m.type("\x14r");
    await m.until("stderr", /^--- resetting the board \(Ctrl-C, then E\.reboot\(\)\) ---$/m);
    await until("the reboot on the wire", () => received === "ab\x03\x14" + TCP_RESET);
    assert.equal(TCP_RESET, "\x03E.reboot()\n");
    m.type("\x14x");
    assert.equal(await m.exit, 0, m.stderr);
    assert.equal(received, "ab\x03\x14" + TCP_RESET, "nothing else was sent");
  });

  test("the board closing the connection ends the monitor with status 1 and says so", async () => {
    const m = startMonitor(["--port", `tcp://127.0.0.1:${port}`]);
    await m.until("stdout", /I \(1\) t: hello\n/);
    peer!.destroy();
    assert.equal(await m.exit, 1);
    assert.match(m.stderr, /^--- tcp:\/\/127\.0\.0\.1:\d+ closed the connection ---$/m);
  });
});

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("Ctrl-C stops a busy loop typed at the REPL; the board's timers run on and new ones fire", async () => {
    const b = await boardProcess(engine, "busy", "print('booted');var ticks=0;setInterval(function(){ticks++;print('tick '+ticks);},200);");
    try {
      const m = startMonitor(["--port", b.url], { limitMs: 60_000 });
      await m.until("stdout", /tick \d+\n/);
      const typed = m.stdout.length;
      m.type(BUSY_LOOP);
      // Once the line is echoed it runs, and the loop holds the board: no tick for a while.
      await m.until("stdout", /while\(true\)\{n\+\+;/, 20_000, typed);
      await new Promise((r) => setTimeout(r, 1500));
      const before = m.stdout;
      const lastTick = Number(/tick (\d+)\n(?![\s\S]*tick \d+\n)/.exec(before)?.[1]);
      const sent = Date.now();
      m.type("\x03");
      await m.until("stdout", /Execution Interrupted\n/, 8000, before.length);
      assert.ok(Date.now() - sent < 8000, "interrupted well before the loop's own 20 s bound");
      m.type("setTimeout(function(){print('later '+(n>0));},300)\r");
      await m.until("stdout", /later true\n/, 8000, before.length);
      await m.until("stdout", new RegExp(`tick ${lastTick + 2}\\n`), 8000, before.length);
      m.type("\x1d");
      assert.equal(await m.exit, 0, m.stderr);
      assert.doesNotMatch(m.stdout, /Press Ctrl-C again to exit/, "a board's console, not the desktop build's");
    } finally {
      await b.stop();
    }
  });

  test("Ctrl-C stops a busy loop in a timer callback; the board goes on", async () => {
    const b = await boardProcess(engine, "busycb", "print('booted');setInterval(function(){print('tock');},250);");
    try {
      const m = startMonitor(["--port", b.url], { limitMs: 60_000 });
      await m.until("stdout", /tock\n/);
      const typed = m.stdout.length;
      m.type("setTimeout(function(){var t0=Date.now();while(true){if(Date.now()-t0>20000)break;}},50)\r");
      // The line has run (its =id shows) and the callback is due 50 ms later: then it holds the board.
      await m.until("stdout", /\n=\d+\n/, 20_000, typed);
      await new Promise((r) => setTimeout(r, 1500));
      const from = m.stdout.length;
      m.type("\x03");
      await m.until("stdout", /Execution Interrupted during event processing\.\n/, 8000, from);
      await m.until("stdout", /tock\n/, 5000, from);
      m.type("\x1d");
      assert.equal(await m.exit, 0, m.stderr);
    } finally {
      await b.stop();
    }
  });

  test("Ctrl-T R resets the board: it boots again and runs its Storage program; the monitor stays", async () => {
    const PROGRAM = "print('booted');print('I (1) app: started from Storage');";
    const b = await boardWithRepl(engine, "reset", PROGRAM);
    try {
      const m = startMonitor(["--port", b.repl.url], { limitMs: 60_000 });
      await m.until("stderr", NOTICE);
      m.type("var marker=1\r");
      await m.until("stdout", /=1\n/);
      // Ctrl-C at an idle prompt, again and again, is harmless on a board (the Linux build's own line
      // editor would exit on the second one).
      m.type("\x03\x03\x03marker+1\r");
      await m.until("stdout", /=2\n/);
      // The host still reads the board while the monitor holds its console (on the espruino engine
      // the answer crosses the telnet console, and must not show there).
      assert.equal(await b.vb.readFile(".bootcde"), PROGRAM);
      const from = m.stdout.length;
      m.type("\x14R");
      await m.until("stderr", /^--- resetting the board \(Ctrl-C, then E\.reboot\(\)\) ---$/m);
      await m.until("stdout", /(^|\n)I \(1\) app: started from Storage\n/, 15_000, from);
      m.type("typeof marker\r");
      await m.until("stdout", /="undefined"\n/, 8000, from);
      m.type("\x1d");
      assert.equal(await m.exit, 0, m.stderr);
      assert.doesNotMatch(m.stderr, /closed the connection|the board is off/);
      assert.doesNotMatch(m.stdout, /the board is off|\x01vb:|Press Ctrl-C again/);
    } finally {
      await b.stop();
    }
  });
});

test("Ctrl-T F builds and flashes on the monitor's port, then monitors the flashed firmware", async () => {
  const cert = generateSelfSigned({ host: "localhost", outDir: join(dir, "cert") });
  const config = join(dir, "flash.config.json");
  writeFileSync(config, JSON.stringify({
    board: "esp32", wifiSsid: "TestNet", wifiPassword: "correct-horse", host: "localhost", port: 8883,
    accessToken: "MONITOR_TOKEN_1", telemetryIntervalMs: 1000, logLevel: "info", serverCert: cert.certPath,
  }));
  const file = join(dir, "flash-out", "firmware.js");
  const b = await boardWithRepl("node", "flash", "print('booted');");
  try {
    const m = startMonitor(["--port", b.repl.url, "--config", config, "--file", file], { limitMs: 120_000, cwd: dir });
    await m.until("stderr", NOTICE);
    m.type("\x14f");
    await m.until("stderr", /^--- closing tcp:\/\/127\.0\.0\.1:\d+ to build and flash \(Ctrl-C stops it\) ---$/m);
    await m.until("stdout", /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m, 90_000);
    await m.until("stderr", /^--- flash done ---\n--- monitor on tcp:\/\/127\.0\.0\.1:\d+ again ---$/m);
    // The flashed firmware logs on the monitor's reopened console.
    const from = m.stdout.indexOf("I flash: done");
    await m.until("stdout", /\n[EWI] \(\d+\) \w+: /, 15_000, from);
    m.type("\x1d");
    assert.equal(await m.exit, 0, m.stderr);
    assert.equal(await b.vb.readFile(".bootcde"), readFileSync(file, "latin1"), ".bootcde holds the bundle flash built");
  } finally {
    await b.stop();
  }
});

test("npm run flash -- --monitor: Ctrl-T F flashes again with the same port, config and file", async () => {
  const cert = generateSelfSigned({ host: "localhost", outDir: join(dir, "cert-fm") });
  const config = join(dir, "flash-monitor.config.json");
  const writeConfig = (token: string) => writeFileSync(config, JSON.stringify({
    board: "esp32", wifiSsid: "TestNet", wifiPassword: "correct-horse", host: "localhost", port: 8883,
    accessToken: token, telemetryIntervalMs: 1000, logLevel: "info", serverCert: cert.certPath,
  }));
  writeConfig("FLASH_MONITOR_TOKEN_A");
  const file = join(dir, "flash-monitor-out", "firmware.js");
  const b = await boardWithRepl("node", "flash-monitor", "print('booted');");
  try {
    const m = startMonitor(["--port", b.repl.url, "--config", config, "--file", file, "--monitor"],
      { entry: "tools/flash/cli.ts", limitMs: 180_000, cwd: dir });
    await m.until("stdout", /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m, 90_000);
    await m.until("stderr", NOTICE);
    assert.ok(readFileSync(file, "latin1").includes("FLASH_MONITOR_TOKEN_A"));
    // A changed config: flash run again from the monitor must read the same file, rebuild and upload.
    writeConfig("FLASH_MONITOR_TOKEN_B");
    const from = m.stdout.length;
    m.type("\x14f");
    await m.until("stderr", /^--- closing tcp:\/\/127\.0\.0\.1:\d+ to build and flash \(Ctrl-C stops it\) ---$/m);
    await m.until("stdout", /^I flash: rebuilding \S*firmware\.js: .*accessToken changed/m, 30_000, from);
    await m.until("stdout", /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m, 90_000, from);
    await m.until("stderr", /^--- flash done ---\n--- monitor on tcp:\/\/127\.0\.0\.1:\d+ again ---$/m);
    m.type("\x1d");
    assert.equal(await m.exit, 0, m.stderr);
    assert.doesNotMatch(m.stderr, /build and flash is not offered here/);
    const bundle = readFileSync(file, "latin1");
    assert.ok(bundle.includes("FLASH_MONITOR_TOKEN_B"), "the bundle was rebuilt into the same --file from the same --config");
    assert.equal(await b.vb.readFile(".bootcde"), bundle, ".bootcde holds the rebuilt bundle");
  } finally {
    await b.stop();
  }
});

test("a monitor on a missing serial port or without --port says what to do", async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "tools/monitor/cli.ts"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += d; });
    const limit = setTimeout(() => child.kill(), 30_000);
    child.on("close", (code) => { clearTimeout(limit); resolve({ code, stderr }); });
  });
  const missing = await run(["--port", join(dir, "ttyACM9"), "--board", "esp32c3"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^E monitor: \S+ttyACM9 does not exist: /);
  const refused = await run(["--port", "tcp://127.0.0.1:9"]);
  assert.match(refused.stderr, /^E monitor: nothing listens on tcp:\/\/127\.0\.0\.1:9: start the board's TCP console first/);
});

test("npm run monitor -- --board esp32c6: Espruino 2v29 has no build for it, one line, exit code 2, no port opened", () => {
  const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "tools/monitor/cli.ts"), "--board", "esp32c6", "--port", join(dir, "ttyACM9")],
    { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'E monitor: --board esp32c6 is not supported: Espruino 2v29 has no build for the ESP32-C6; use one of esp32, esp32c3, esp32s3 (README: "Board support")\n');
  const typo = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "tools/monitor/cli.ts"), "--board", "esp33"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(typo.status, 2, typo.stderr);
  assert.equal(typo.stderr, "E monitor: --board esp33 is not a board: use one of esp32, esp32c3, esp32s3\n");
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
