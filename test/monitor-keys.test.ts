// The monitor's keys as a state machine (tools/serial/keys.ts) and its line printer: what each key
// does, with no terminal and no board; then the monitor on a serial port (a socat pseudo-terminal
// pair). The same keys through real processes and virtual boards: monitor-vboard.test.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { SerialPort } from "serialport";
import { helpText, keyName, MonitorKeys } from "../tools/serial/keys.ts";
import { openLink } from "../tools/serial/link.ts";
import { LinePrinter, PARTIAL_FLUSH_MS, runMonitor, timestamp } from "../tools/serial/terminal.ts";
import { until } from "./helpers/wait.ts";

test("plain keys and Ctrl-C go to the board, joined into one send", () => {
  const k = new MonitorKeys();
  assert.deepEqual(k.feed("ab\x03c\r"), [{ kind: "send", data: "ab\x03c\r" }]);
  assert.deepEqual(k.feed("\x03"), [{ kind: "send", data: "\x03" }]);
});

test("Ctrl-] leaves at once; what follows it is not sent", () => {
  const k = new MonitorKeys();
  assert.deepEqual(k.feed("x\x1dy"), [{ kind: "send", data: "x" }, { kind: "exit" }]);
});

test("Ctrl-T opens the menu; its next key, in the same or a later chunk, picks the command", () => {
  const k = new MonitorKeys();
  assert.deepEqual(k.feed("\x14"), []);
  assert.equal(k.inMenu, true);
  assert.deepEqual(k.feed("r"), [{ kind: "reset" }]);
  assert.equal(k.inMenu, false);
  const cases: Array<[string, string]> = [
    ["R", "reset"], ["\x12", "reset"], ["f", "flash"], ["F", "flash"], ["\x06", "flash"],
    ["h", "help"], ["H", "help"], ["?", "help"], ["\x08", "help"],
    ["t", "timestamps"], ["T", "timestamps"], ["i", "timestamps"],
    ["x", "exit"], ["X", "exit"], ["\x18", "exit"], ["\x1d", "exit"],
  ];
  for (const [key, kind] of cases) assert.deepEqual(k.feed("\x14" + key), [{ kind }], `Ctrl-T ${keyName(key)}`);
});

test("Ctrl-T Ctrl-T sends one Ctrl-T; a key that is no command is named, not sent", () => {
  const k = new MonitorKeys();
  assert.deepEqual(k.feed("a\x14\x14b"), [{ kind: "send", data: "a\x14b" }]);
  assert.deepEqual(k.feed("\x14z1"), [{ kind: "unknown", key: "z" }, { kind: "send", data: "1" }]);
  assert.deepEqual(k.feed("\x14\x01"), [{ kind: "unknown", key: "Ctrl-A" }]);
  assert.deepEqual(k.feed("\x14\x7f"), [{ kind: "unknown", key: "0x7f" }]);
});

test("the menu's commands and the keys around them keep their order", () => {
  const k = new MonitorKeys();
  assert.deepEqual(k.feed("1\x14t2\x14h3"), [
    { kind: "send", data: "1" }, { kind: "timestamps" }, { kind: "send", data: "2" }, { kind: "help" }, { kind: "send", data: "3" },
  ]);
  assert.deepEqual(k.feed("\x14x\x14r"), [{ kind: "exit" }], "nothing after leaving");
});

test("help names each key, idf.py monitor style, and says when build-and-flash is not offered", () => {
  const h = helpText({ reset: "Ctrl-C, then E.reboot()", flash: true });
  for (const l of h.trimEnd().split("\n")) assert.match(l, /^--- /);
  assert.match(h, /^--- Ctrl-\] +leave the monitor$/m);
  assert.match(h, /^--- Ctrl-C +goes to the board: interrupts the JavaScript running there$/m);
  assert.match(h, /^--- {3}R +reset the board \(Ctrl-C, then E\.reboot\(\)\)$/m);
  assert.match(h, /^--- {3}F +build and flash \(npm run flash on this port\), then monitor again$/m);
  assert.match(h, /^--- {3}T +timestamps/m);
  assert.match(h, /^--- {3}Ctrl-T +send Ctrl-T itself to the board$/m);
  assert.match(helpText({ reset: "x", flash: false }), /F +build and flash: not from here/);
});

test("the printer: whole lines coloured and stamped, an open line shown after a moment of quiet", async () => {
  let out = "";
  const p = new LinePrinter({ write: (s) => { out += s; } }, true, false);
  p.write("I (1) t: a\nW (2) t: b\n>");
  assert.equal(out, "\x1b[32mI (1) t: a\x1b[0m\n\x1b[33mW (2) t: b\x1b[0m\n");
  await new Promise((r) => setTimeout(r, PARTIAL_FLUSH_MS + 50));
  assert.equal(out.slice(-1), ">", "the prompt shows without a newline");
  p.write("1+1\r\n");
  assert.ok(out.endsWith(">1+1\n"), JSON.stringify(out));
  // A log line drawn over the prompt: the whole line again, coloured.
  p.write(">");
  p.flush();
  p.write("\rE (3) t: c\r\n");
  assert.ok(out.endsWith(">\r\x1b[31mE (3) t: c\x1b[0m\n"), JSON.stringify(out));
  p.stamps = true;
  out = "";
  p.write("plain\n");
  assert.match(out, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} plain\n$/);
  assert.match(timestamp(new Date(2026, 0, 2, 3, 4, 5, 6)), /^2026-01-02 03:04:05\.006 $/);
  p.write("open");
  p.end();
  assert.ok(out.endsWith(" open\n"), "end() closes an open line before a notice");
});

test("on a serial port: the board's lines show, keys and Ctrl-C reach it, a port without modem lines says it cannot reset", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tb-monitor-serial-"));
  const a = join(dir, "tty-monitor");
  const b = join(dir, "tty-board");
  // socat is what npm run pretest installs for the pseudo-terminal tests.
  const socat = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
  const socatExit = new Promise<void>((r) => socat.once("exit", () => r()));
  t.after(async () => { socat.kill(); await socatExit; rmSync(dir, { recursive: true, force: true }); });
  await until("socat's pseudo-terminals", () => existsSync(a) && existsSync(b), 5000);
  const board = await new Promise<SerialPort>((res, rej) => {
    const p: SerialPort = new SerialPort({ path: b, baudRate: 115200 }, (e) => (e ? rej(e) : res(p)));
  });
  t.after(() => new Promise<void>((r) => (board.isOpen ? board.close(() => r()) : r())));
  let fromMonitor = "";
  board.on("data", (d: Buffer) => { fromMonitor += d.toString("latin1"); });

  const input = new PassThrough();
  let out = "";
  let notices = "";
  const link = await openLink("monitor", a, 115200);
  const done = runMonitor(link, { input, output: { write: (x) => { out += x; } }, notice: { write: (x) => { notices += x; } }, colour: false },
    `${a} at 115200 baud`);
  board.write("I (5) app: from the board\r\n");
  await until("the board's line on the monitor", () => out.includes("I (5) app: from the board\n"), 5000);
  input.write("1+1\r\x03");
  await until("keys and Ctrl-C at the board", () => fromMonitor === "1+1\r\x03", 5000);
  input.write("\x14r");
  await until("the reset notices", () => /cannot reset the board through \S+ at 115200 baud: .+; press its reset button ---\n/.test(notices), 5000);
  assert.match(notices, /^--- resetting the board \(EN pulled low by RTS, as esptool does\) ---$/m);
  input.write("\x1d");
  assert.equal(await done, "key");
  assert.equal(fromMonitor, "1+1\r\x03", "nothing else reached the board");
});
