// Writing the Espruino interpreter through the ESP ROM bootloader, without hardware: the Web Serial
// adapter over a real pseudo-terminal pair (socat), the real esptool-js against a port whose other end
// never answers (the CLI fails in bounded time with one line), and against a stand-in ROM that answers
// sync and GET_SECURITY_INFO as the esptool serial protocol documents, for another chip than the board's.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { SerialPort } from "serialport";
import { loadBoard, ROOT } from "../tools/common/board.ts";
import { progress } from "../tools/common/progress.ts";
import { checkDetectedChip, esptoolChipName, planInstall, writeProgress, writeRelease } from "../tools/flash/install.ts";
import { NodeWebSerialPort, usbIdsOf } from "../tools/flash/webserial.ts";
import { listSerialPorts } from "../tools/serial/ports.ts";
import { run } from "./helpers/run.ts";

let dir: string;
const started: ChildProcess[] = [];
before(() => { dir = mkdtempSync(join(tmpdir(), "tb-flash-install-")); });
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(paths: string[], ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!paths.every((p) => existsSync(p))) {
    if (Date.now() > end) throw new Error(`socat did not create ${paths.join(", ")} within ${ms} ms`);
    await sleep(20);
  }
}

/** socat with the given addresses; returns when the pty links exist. */
async function socat(args: string[], links: string[]): Promise<ChildProcess> {
  const child = spawn("socat", args, { stdio: ["ignore", "ignore", "pipe"] });
  started.push(child);
  await waitFor(links);
  return child;
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", () => r()));
}

/** A pty pair joined by socat: both slave ends to open as serial ports. */
async function ptyPair(name: string): Promise<{ a: string; b: string; proc: ChildProcess }> {
  const a = join(dir, `${name}-a`);
  const b = join(dir, `${name}-b`);
  const proc = await socat([`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], [a, b]);
  return { a, b, proc };
}

function openPlain(path: string): Promise<SerialPort> {
  return new Promise((res, rej) => {
    const p: SerialPort = new SerialPort({ path, baudRate: 115200 }, (e) => (e ? rej(e) : res(p)));
  });
}
const closePlain = (p: SerialPort) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));

const CHIP_ID = { esp32: 0, esp32c3: 5, esp32s3: 9 } as const;
function espImage(chip: keyof typeof CHIP_ID, size = 4096): Buffer {
  const b = Buffer.alloc(size, 0x5a);
  b[0] = 0xe9;
  b.writeUInt16LE(CHIP_ID[chip], 12);
  return b;
}

function c3Release(): string {
  const folder = join(dir, "espruino_2v29_esp32c3");
  if (!existsSync(folder)) {
    mkdirSync(folder);
    writeFileSync(join(folder, "bootloader.bin"), espImage("esp32c3"));
    writeFileSync(join(folder, "partition-table.bin"), Buffer.from([0xaa, 0x50, 1, 2]));
    writeFileSync(join(folder, "espruino-esp32c3.bin"), espImage("esp32c3", 20000));
  }
  return folder;
}

test("socat is there (tools/ensure-system-deps.sh installs it)", () => {
  assert.doesNotThrow(() => execFileSync("socat", ["-V"], { stdio: "ignore" }), "socat missing: apt-get install socat");
});

test("adapter: bytes both ways through a real pty pair, signals, baud change, close", async () => {
  const { a, b, proc } = await ptyPair("bytes");
  const warnings: string[] = [];
  const port = new NodeWebSerialPort(a, { onNoModemLines: (m) => warnings.push(m) });
  const peer = await openPlain(b);
  try {
    assert.equal(port.readable, null, "closed port has no readable");
    assert.equal(port.writable, null, "closed port has no writable");
    await port.open({ baudRate: 115200 });

    // Host -> peer, including the SLIP bytes esptool-js sends.
    const toPeer = Uint8Array.from([0xc0, 0x00, 0x08, 0xdb, 0xdc, 0xff, 0x00, 0xc0]);
    const gotPeer: Buffer[] = [];
    peer.on("data", (d: Buffer) => gotPeer.push(d));
    const w = port.writable!.getWriter();
    await w.write(toPeer);
    w.releaseLock();
    for (let i = 0; i < 100 && Buffer.concat(gotPeer).length < toPeer.length; i++) await sleep(10);
    assert.deepEqual([...Buffer.concat(gotPeer)], [...toPeer]);

    // Peer -> host, read through the WHATWG stream as esptool-js's readLoop does.
    const reader = port.readable!.getReader();
    const fromPeer = Buffer.from([0xc0, 0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00, 0xc0]);
    peer.write(fromPeer);
    const got: number[] = [];
    while (got.length < fromPeer.length) {
      const { value, done } = await Promise.race([reader.read(), sleep(2000).then(() => ({ value: undefined, done: true }))]);
      assert.ok(!done && value, `stream ended after ${got.length} bytes`);
      got.push(...value);
    }
    assert.deepEqual(got, [...fromPeer]);
    reader.releaseLock();

    // A pty has no modem lines: told once, and the call still resolves (the ROM can be entered by hand).
    await port.setSignals({ dataTerminalReady: false, requestToSend: true });
    await port.setSignals({ requestToSend: false });
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /has no DTR\/RTS lines.*hold BOOT while pressing RESET/);

    await port.setBaudRate(460800); // tcsetattr on the pty: must not throw
    assert.deepEqual(port.getInfo(), {}, "a pty is no USB device");

    // A cancelled stream is replaced by a fresh one, as Web Serial does.
    const r1 = port.readable!;
    await r1.cancel();
    assert.notEqual(port.readable, r1);
    await port.close();
    assert.equal(port.readable, null);
    assert.equal(port.isOpen, false);
    await assert.rejects(port.setSignals({ break: false }), /is not open/);
  } finally {
    await port.close();
    await closePlain(peer);
    proc.kill();
    await exited(proc);
  }
});

test("adapter: USB vendor/product id from sysfs, for ttyACM (interface) and ttyUSB (one level deeper)", () => {
  const sys = join(dir, "sys");
  const usbDev = join(sys, "devices", "usb1", "1-1");
  mkdirSync(join(usbDev, "1-1:1.0", "ttyUSB3"), { recursive: true });
  writeFileSync(join(usbDev, "idVendor"), "303a\n");
  writeFileSync(join(usbDev, "idProduct"), "1001\n");
  mkdirSync(join(sys, "class", "tty", "ttyACM9"), { recursive: true });
  mkdirSync(join(sys, "class", "tty", "ttyUSB3"), { recursive: true });
  symlinkSync(join(usbDev, "1-1:1.0"), join(sys, "class", "tty", "ttyACM9", "device"));
  symlinkSync(join(usbDev, "1-1:1.0", "ttyUSB3"), join(sys, "class", "tty", "ttyUSB3", "device"));
  assert.deepEqual(usbIdsOf("/dev/ttyACM9", sys), { usbVendorId: 0x303a, usbProductId: 0x1001 });
  assert.deepEqual(usbIdsOf("/dev/ttyUSB3", sys), { usbVendorId: 0x303a, usbProductId: 0x1001 });
  assert.deepEqual(usbIdsOf("/dev/ttyS0", sys), {});
});

test("chip check: esptool-js names map to the board's esptool chip; a mismatch names both", () => {
  assert.equal(esptoolChipName("ESP32-C3"), "esp32c3");
  assert.equal(esptoolChipName("ESP32"), "esp32");
  assert.doesNotThrow(() => checkDetectedChip("ESP32-S3", "/dev/ttyACM0", loadBoard("esp32s3")));
  assert.throws(() => checkDetectedChip("ESP32-S3", "/dev/ttyACM0", loadBoard("esp32c3")),
    /^ToolError: E flash: the chip on \/dev\/ttyACM0 is ESP32-S3 \(esp32s3\), but the board is esp32c3 \(ESP32-C3\); nothing was written: pass --board esp32s3 with espruino_2v29_esp32s3\.tgz if that is your board, or plug in the ESP32-C3$/);
});

/** Stand-in ROM: answers SYNC and GET_SECURITY_INFO as an ESP32-S3 (chip id 9); records what else came. */
function fakeRom(port: SerialPort, chipId: number): { ops: number[] } {
  const ops: number[] = [];
  let frame: number[] | null = null;
  let esc = false;
  const send = (op: number, value: number, data: number[]) => {
    const body = [0x01, op, data.length & 0xff, data.length >> 8, value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff, ...data];
    const out = [0xc0];
    for (const x of body) out.push(...(x === 0xc0 ? [0xdb, 0xdc] : x === 0xdb ? [0xdb, 0xdd] : [x]));
    out.push(0xc0);
    port.write(Buffer.from(out));
  };
  port.on("data", (d: Buffer) => {
    for (const x of d) {
      if (x === 0xc0) {
        if (frame && frame.length >= 8) handle(frame);
        frame = [];
      } else if (frame) {
        if (esc) { frame.push(x === 0xdc ? 0xc0 : 0xdb); esc = false; } else if (x === 0xdb) esc = true; else frame.push(x);
      }
    }
  });
  function handle(f: number[]) {
    const op = f[1];
    ops.push(op);
    if (op === 0x08) for (let i = 0; i < 8; i++) send(0x08, 0x20120707, [0, 0, 0, 0]);
    else if (op === 0x14) {
      const info = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, chipId, 0, 0, 0, 0, 0, 0, 0];
      send(0x14, 0, [...info, 0, 0, 0, 0]);
    } else send(op, 0, [1, 0x05, 0, 0]); // "invalid message", as the ROM answers what it does not know
  }
  return { ops };
}

test("real esptool-js refuses a chip that is not the board's, before writing anything", async () => {
  const { a, b, proc } = await ptyPair("rom");
  const peer = await openPlain(b);
  const rom = fakeRom(peer, CHIP_ID.esp32s3);
  const plan = planInstall(c3Release(), a, loadBoard("esp32c3"));
  const log: string[] = [];
  const t0 = Date.now();
  try {
    await assert.rejects(
      writeRelease(plan, { port: a, board: loadBoard("esp32c3"), baud: 460800, log: (l) => log.push(l), warn: (l) => log.push(l), connectTimeoutMs: 20_000 }),
      new RegExp(`^ToolError: E flash: the chip on ${a.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is ESP32-S3 \\(esp32s3\\), but the board is esp32c3 \\(ESP32-C3\\); nothing was written: `));
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
    assert.ok(rom.ops.includes(0x08) && rom.ops.includes(0x14), `ROM saw ${rom.ops.map((o) => o.toString(16))}`);
    // Refused right at identification: no RAM download (stub), no flash begin.
    for (const op of [0x02, 0x05, 0x10]) assert.ok(!rom.ops.includes(op), `op 0x${op.toString(16)} reached the ROM`);
    assert.ok(log.some((l) => /^W flash: .* has no DTR\/RTS lines/.test(l)), log.join("\n"));
  } finally {
    await closePlain(peer);
    proc.kill();
    await exited(proc);
  }
});

test("CLI: a port whose other end never answers the ROM sync fails in bounded time with one line, leaving nothing running", async () => {
  const a = join(dir, "silent");
  // -u: only from the pty into /dev/null, so nothing ever answers; wait-slave: socat does not hold the
  // slave open itself (the flash tool would call the port busy), and it ends when the tool closes it.
  const proc = await socat(["-u", `pty,raw,echo=0,link=${a},wait-slave`, "OPEN:/dev/null"], [a]);
  const t0 = Date.now();
  const r = await run("bash", [join(ROOT, "flash.sh"), "--port", a, "--board", "esp32c3", "--install-espruino", c3Release()],
    { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, onSpawn: (c) => started.push(c) });
  const took = Date.now() - t0;
  assert.equal(r.code, 1, `exit code; output:\n${r.stdout}${r.stderr}`);
  assert.ok(took < 25_000, `took ${took} ms`);
  assert.match(r.stdout, /^I flash: connecting to the ESP ROM bootloader on \S+silent at 115200 baud/m);
  assert.doesNotMatch(r.stdout, /TRACE/, "esptool-js's trace lines stay out of the output");
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("E "));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], new RegExp(`^E flash: the ESP ROM bootloader did not answer on \\S+silent: hold BOOT while pressing RESET, then try again; or run: esptool\\.py --chip esp32c3 --port \\S+silent --baud 460800 write_flash 0x0 \\S+bootloader\\.bin 0x8000 \\S+partition-table\\.bin 0x10000 \\S+espruino-esp32c3\\.bin$`));
  // The tool closed the port: socat saw the slave close and ended by itself.
  await Promise.race([exited(proc), sleep(3000)]);
  assert.ok(proc.exitCode !== null || proc.signalCode !== null, "socat still running: the port was left open");
});

test("CLI: --print-esptool prints the esptool command instead of writing (the port stays untouched)", async () => {
  const a = join(dir, "untouched");
  const proc = await socat(["-u", `pty,raw,echo=0,link=${a},wait-slave`, "OPEN:/dev/null"], [a]);
  try {
    const r = await run("bash", [join(ROOT, "flash.sh"), "--port", a, "--board", "esp32c3", "--install-espruino", c3Release(), "--print-esptool"],
      { cwd: dir, onSpawn: (c) => started.push(c) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^esptool\.py --chip esp32c3 --port \S+untouched --baud 460800 write_flash 0x0 \S+bootloader\.bin /m);
    assert.doesNotMatch(r.stdout, /connecting to the ESP ROM bootloader/);
    // socat waits for the slave to be opened: still waiting means the tool never opened the port.
    assert.equal(proc.exitCode, null);
  } finally {
    proc.kill();
    await exited(proc);
  }
});

test("CLI: --print-esptool without --port prints the command for the port it would use, and exits 0", async () => {
  const r = await run("bash", [join(ROOT, "flash.sh"), "--board", "esp32c3", "--install-espruino", c3Release(), "--print-esptool"],
    { cwd: dir, onSpawn: (c) => started.push(c) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("E ")).length, 0, r.stderr);
  const plugged = await listSerialPorts();
  const port = plugged.length === 1 ? plugged[0] : "/dev/ttyACM0";
  const why = plugged.length === 1 ? "the one serial port plugged in" : "the ESP32-C3's usual port";
  assert.ok(r.stdout.split("\n").includes(`I flash: no --port given: the command uses ${port}, ${why}; change it if the board is on another`), r.stdout);
  assert.match(r.stdout, new RegExp(`^esptool\\.py --chip esp32c3 --port ${port} --baud 460800 write_flash 0x0 \\S+bootloader\\.bin `, "m"));
});

test("install progress: one percentage of all images on a terminal, a line per image written, nothing else off a terminal", () => {
  const files = [{ offset: "0x0", file: "bootloader.bin", size: 20_000 }, { offset: "0x10000", file: "espruino-esp32c3.bin", size: 60_000 }];
  // esptool-js's calls for two images of 2 and 3 compressed blocks: (image, 0, total) first, then one per block.
  const calls: Array<[number, number, number]> = [[0, 0, 8], [0, 4, 8], [0, 8, 8], [1, 0, 12], [1, 4, 12], [1, 8, 12], [1, 12, 12]];
  const replay = (isTTY: boolean) => {
    const drawn: string[] = [];
    const log: string[] = [];
    const report = writeProgress(files, (l) => log.push(l), progress("flash", { isTTY, columns: 100, write: (t) => drawn.push(t) }));
    for (const [i, w, t] of calls) report(i, w, t);
    return { drawn, log };
  };
  const lines = ["I flash:   0x0 bootloader.bin: 20,000 bytes written", "I flash:   0x10000 espruino-esp32c3.bin: 60,000 bytes written"];
  const tty = replay(true);
  assert.deepEqual(tty.log, lines);
  const shown = tty.drawn.filter((t) => t !== "\r\x1b[K").map((t) => t.replace(/^\r|\x1b\[K$/g, ""));
  assert.deepEqual(shown, [
    "I flash: writing bootloader.bin (image 1 of 2) 0%", "I flash: writing bootloader.bin (image 1 of 2) 12%",
    "I flash: writing bootloader.bin (image 1 of 2) 25%", "I flash: writing espruino-esp32c3.bin (image 2 of 2) 25%",
    "I flash: writing espruino-esp32c3.bin (image 2 of 2) 50%", "I flash: writing espruino-esp32c3.bin (image 2 of 2) 75%",
    "I flash: writing espruino-esp32c3.bin (image 2 of 2) 100%",
  ]);
  assert.equal(tty.drawn.at(-1), "\r\x1b[K", "the status line is cleared before the next line");
  const piped = replay(false);
  assert.deepEqual(piped, { drawn: [], log: lines });
});
