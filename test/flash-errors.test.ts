// Each flash failure that can be produced here gives one `E flash:` line naming the cause and the fix:
// no port, missing port, a miswritten tcp:// address, not a serial port, no permission, busy, no
// Espruino prompt, over budget, wrong board, a chip Espruino has no build for; plus the port-kind
// warning and the interpreter install's image selection and refusals. The ports are real tty devices:
// pseudo-terminals made by socat.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadBoard, ROOT } from "../tools/common/board.ts";
import { planInstall } from "../tools/flash/install.ts";
import { listSerialPorts, portKindWarnings } from "../tools/serial/ports.ts";
import { VirtualBoard } from "../tools/vboard/index.ts";
import { startRepl } from "../tools/vboard/repl.ts";
import { run, type RunResult } from "./helpers/run.ts";

let dir: string;
const started: ChildProcess[] = [];
before(() => { dir = mkdtempSync(join(tmpdir(), "tb-flash-err-")); });
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A pseudo-terminal's slave, a tty device as a board's port is, at dir/name. wait-slave: socat does not
 * open the slave itself, so only the programs a test starts hold it. `extra`: more socat pty options.
 */
async function pty(name: string, extra = ""): Promise<{ path: string; proc: ChildProcess }> {
  const path = join(dir, name);
  const proc = spawn("socat", ["-u", `pty,raw,echo=0,link=${path},wait-slave${extra}`, "OPEN:/dev/null"], { stdio: "ignore" });
  started.push(proc);
  for (let i = 0; !existsSync(path); i++) {
    if (i > 150) throw new Error(`socat did not make ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { path, proc };
}

/** The fix a "not a serial port" line ends with: the ports plugged in, or the board's usual one. */
async function passBoardsPort(typical: string): Promise<string> {
  const plugged = await listSerialPorts();
  return plugged.length ? `pass the board's port; plugged in now: ${plugged.join(", ")}` : `pass the board's port, e.g. --port ${typical}`;
}

/** Runs flash.sh from an empty folder (no config there); `prefix` runs it through e.g. setpriv. */
function flashSh(args: string[], prefix: string[] = []): Promise<RunResult> {
  const cmd = [...prefix, "bash", join(ROOT, "flash.sh"), ...args];
  return run(cmd[0], cmd.slice(1), { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
}

/** The single E line of a failed run; `code` is the exit code it must have (2: bad usage). */
function errorLine(r: { code: number | null; stderr: string; stdout: string }, code = 1): string {
  assert.equal(r.code, code, `exit code; output:\n${r.stdout}${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("E "));
  assert.equal(lines.length, 1, `exactly one error line in:\n${r.stderr}`);
  return lines[0];
}

test("no --port: says so and lists what is plugged in (or that nothing is)", async () => {
  const e = errorLine(await flashSh(["--board", "esp32c3"]));
  assert.match(e, /^E flash: no --port given(; plugged in: \/dev\/\S+| and no serial port found \(\/dev\/ttyUSB\*, \/dev\/ttyACM\*\): plug the ESP32-C3 in .*--port \/dev\/ttyACM0)/);
});

test("a port that does not exist", async () => {
  const e = errorLine(await flashSh(["--port", join(dir, "ttyUSB7"), "--board", "esp32"]));
  assert.match(e, /^E flash: \/\S+\/ttyUSB7 does not exist: .*(plugged in now|check the USB cable)/);
});

test("a port without permission points to the dialout group", async (t) => {
  // root passes every permission check: run the tool as nobody then (setpriv, util-linux).
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    try { execFileSync("setpriv", ["--version"], { stdio: "ignore" }); } catch { return t.skip("running as root without setpriv"); }
    chmodSync(dir, 0o755);
  }
  const { path, proc } = await pty("ttyUSB-noperm", ",perm=000");
  try {
    const r = await flashSh(["--port", path, "--board", "esp32"], asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []);
    assert.equal(errorLine(r), `E flash: permission denied on ${path}: add yourself to the dialout group: sudo usermod -aG dialout $USER, then log out and back in`);
  } finally {
    proc.kill();
  }
});

test("a port another program holds open is busy, naming that program", async () => {
  const { path, proc } = await pty("ttyUSB-busy");
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  let holder: ChildProcess | undefined;
  try {
    holder = spawn("sleep", ["30"], { stdio: ["ignore", "ignore", "ignore", fd] });
    closeSync(fd);
    const e = errorLine(await flashSh(["--port", path, "--board", "esp32"]));
    assert.equal(e, `E flash: ${path} is busy: sleep (pid ${holder.pid}) has it open: close that program first (a monitor still running? leave it with Ctrl-])`);
  } finally {
    holder?.kill();
    proc.kill();
  }
});

test("--port /dev/null is not a serial port, and the programs that hold /dev/null open are not named", async () => {
  const r = await flashSh(["--port", "/dev/null", "--board", "esp32"]);
  assert.equal(errorLine(r), `E flash: /dev/null is not a serial port (it is a character device, but not a tty): ${await passBoardsPort("/dev/ttyUSB0")}`);
  const file = join(dir, "ttyUSB-file");
  writeFileSync(file, "");
  const f = await flashSh(["--port", file, "--board", "esp32c3"]);
  assert.equal(errorLine(f), `E flash: ${file} is not a serial port (it is a regular file): ${await passBoardsPort("/dev/ttyACM0")}`);
});

test("a tcp:// address written with one slash says how to write it, not to check the USB cable", async () => {
  const r = await flashSh(["--port", "tcp:/127.0.0.1:2323", "--board", "esp32"]);
  assert.equal(errorLine(r, 2), "E flash: --port tcp:/127.0.0.1:2323 is not a tcp:// address: write it as tcp://127.0.0.1:2323 (tcp://host:port)");
});

test("--board esp32c6: Espruino 2v29 has no build for it, and the boards there are builds for are listed", async () => {
  const r = await flashSh(["--board", "esp32c6", "--port", "/dev/ttyACM0"]);
  assert.equal(errorLine(r, 2), "E flash: --board esp32c6 is not supported: Espruino 2v29 has no build for the ESP32-C6; use one of esp32, esp32c3, esp32s3 (README: \"Board support\")");
});

test("a TCP port that answers garbage has no Espruino prompt: install the interpreter", async () => {
  const server: Server = createServer((s) => s.on("data", () => s.write("\x00\xffATZ OK garbage\r\n")));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const file = join(dir, "tiny.js");
    writeFileSync(file, "// tb-espruino-device 0.1.0 board=esp32c3\nprint(1);\n");
    const e = errorLine(await flashSh(["--port", port, "--board", "esp32c3", "--file", file]));
    assert.ok(e.startsWith(`E flash: no Espruino prompt on ${port}; it sent "ATZ OK garbage`), e);
    assert.ok(e.endsWith(`: install the interpreter once: npm run flash -- --port ${port} --install-espruino espruino_2v29_esp32c3.tgz`), e);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("a bundle over the board's budget is not flashed", async () => {
  const file = join(dir, "big.js");
  writeFileSync(file, "// tb-espruino-device 0.1.0 board=esp32\n" + "print(1);\n".repeat(2000));
  const e = errorLine(await flashSh(["--port", "tcp://127.0.0.1:9", "--board", "esp32", "--file", file]));
  assert.match(e, /^E flash: \S+big\.js is 20,0\d\d bytes, over the 16,384-byte budget for esp32: nothing was flashed; trim the firmware and rebuild/);
});

test("a bundle for another chip than the interpreter on the board is refused before uploading", async () => {
  const vb = new VirtualBoard({ board: "esp32", storageDir: join(dir, "vb") });
  vb.boot();
  const repl = await startRepl(vb);
  try {
    const file = join(dir, "s3.js");
    writeFileSync(file, "// tb-espruino-device 0.1.0 board=esp32s3\nprint(1);\n");
    const e = errorLine(await flashSh(["--port", repl.url, "--board", "esp32s3", "--file", file]));
    assert.match(e, /^E flash: the board runs Espruino for ESP32, but the bundle is for esp32s3 \(ESP32S3_IDF4\): pass the right --board/);
    assert.equal(vb.storage.read(".bootcde"), undefined, "nothing was stored");
  } finally {
    await repl.close();
    await vb.stop();
  }
});

test("port kind: C3/S3 consoles are native USB (ttyACM), the ESP32's a USB-UART bridge (ttyUSB)", () => {
  assert.match(portKindWarnings("flash", "/dev/ttyUSB0", loadBoard("esp32c3"))[0], /^W flash: \/dev\/ttyUSB0 is a USB-UART bridge, but Espruino on ESP32-C3 uses the chip's native USB console \(\/dev\/ttyACM\*\)/);
  assert.match(portKindWarnings("flash", "/dev/ttyUSB1", loadBoard("esp32s3"))[0], /native USB console/);
  assert.match(portKindWarnings("flash", "/dev/ttyACM0", loadBoard("esp32"))[0], /^W flash: \/dev\/ttyACM0 is a native-USB \(CDC\) port, but Espruino on ESP32 uses UART0/);
  assert.deepEqual(portKindWarnings("flash", "/dev/ttyUSB0", loadBoard("esp32")), []);
  assert.deepEqual(portKindWarnings("flash", "/dev/ttyACM0", loadBoard("esp32c3")), []);
});

// --- interpreter install -------------------------------------------------------------------------

const CHIP_ID = { esp32: 0, esp32c3: 5, esp32s3: 9 } as const;

/** An ESP image: magic 0xE9, chip_id at byte 12 (ESP-IDF esp_image_header_t). */
function espImage(chip: keyof typeof CHIP_ID): Buffer {
  const b = Buffer.alloc(64);
  b[0] = 0xe9;
  b.writeUInt16LE(CHIP_ID[chip], 12);
  return b;
}
const PARTITIONS = Buffer.from([0xaa, 0x50, 0x01, 0x02]);

/** A release .tgz like espruino.com's: one folder holding the images. */
function release(name: string, files: Record<string, Buffer>): string {
  const base = join(dir, "rel-" + Math.random().toString(36).slice(2));
  const folder = join(base, name.replace(/\.tgz$/, ""));
  mkdirSync(folder, { recursive: true });
  for (const [f, b] of Object.entries(files)) writeFileSync(join(folder, f), b);
  const tgz = join(base, name);
  execFileSync("tar", ["-czf", tgz, "-C", base, name.replace(/\.tgz$/, "")]);
  return tgz;
}

test("install: picks the chip's three images at the board's offsets and prints the esptool command", () => {
  const tgz = release("espruino_2v29_esp32c3.tgz", {
    "bootloader.bin": espImage("esp32c3"), "partition-table.bin": PARTITIONS, "espruino-esp32c3.bin": espImage("esp32c3"),
    "README.txt": Buffer.from("hi"),
  });
  const p = planInstall(tgz, "/dev/ttyACM0", loadBoard("esp32c3"));
  assert.deepEqual(p.images.map((i) => [i.offset, i.file]), [["0x0", "bootloader.bin"], ["0x8000", "partition-table.bin"], ["0x10000", "espruino-esp32c3.bin"]]);
  assert.equal(p.command, `esptool.py --chip esp32c3 --port /dev/ttyACM0 --baud 460800 write_flash ${p.images.map((i) => `${i.offset} ${i.path}`).join(" ")}`);

  const esp32 = join(dir, "espruino_2v29_esp32");
  mkdirSync(esp32);
  writeFileSync(join(esp32, "bootloader.bin"), espImage("esp32"));
  writeFileSync(join(esp32, "partitions_espruino.bin"), PARTITIONS);
  writeFileSync(join(esp32, "espruino_esp32.bin"), espImage("esp32"));
  const q = planInstall(esp32, "/dev/ttyUSB0", loadBoard("esp32"));
  assert.deepEqual(q.images.map((i) => i.offset + " " + i.file), ["0x1000 bootloader.bin", "0x8000 partitions_espruino.bin", "0x10000 espruino_esp32.bin"]);
});

test("install: refuses a release for another chip, by name, by content, and by image header", () => {
  const c3 = loadBoard("esp32c3");
  const s3files = { "bootloader.bin": espImage("esp32s3"), "partition-table.bin": PARTITIONS, "espruino-esp32s3.bin": espImage("esp32s3") };
  assert.throws(() => planInstall(release("espruino_2v29_esp32s3.tgz", s3files), "/dev/ttyACM0", c3),
    /ToolError: E flash: espruino_2v29_esp32s3\.tgz is the Espruino release for esp32s3, but the board is esp32c3: use espruino_2v29_esp32c3\.tgz, or pass --board esp32s3/);
  assert.throws(() => planInstall(release("download.tgz", s3files), "/dev/ttyACM0", c3),
    /E flash: download\.tgz holds espruino-esp32s3\.bin, the interpreter for esp32s3, but the board is esp32c3/);
  const relabelled = { "bootloader.bin": espImage("esp32c3"), "partition-table.bin": PARTITIONS, "espruino-esp32c3.bin": espImage("esp32s3") };
  assert.throws(() => planInstall(release("espruino_2v29_esp32c3.tgz", relabelled), "/dev/ttyACM0", c3),
    /E flash: espruino-esp32c3\.bin is built for esp32s3, not esp32c3: use espruino_2v29_esp32c3\.tgz/);
  assert.throws(() => planInstall(release("espruino_2v29_esp32c3.tgz", { "bootloader.bin": espImage("esp32c3") }), "/dev/ttyACM0", c3),
    /E flash: espruino_2v29_esp32c3\.tgz lacks partition-table\.bin, espruino-esp32c3\.bin for esp32c3/);
  const notTgz = join(dir, "espruino_2v29_esp32c3-broken.tgz");
  writeFileSync(notTgz, "not a tarball");
  assert.throws(() => planInstall(notTgz, "/dev/ttyACM0", c3), /E flash: \S+broken\.tgz is not a readable \.tgz/);
  assert.throws(() => planInstall(join(dir, "nope.tgz"), "/dev/ttyACM0", c3), /E flash: \S+nope\.tgz does not exist: download espruino_2v29_esp32c3\.tgz/);
});

test("install through the CLI: prints the images and the command, or one refusal line", async () => {
  const tgz = release("espruino_2v29_esp32s3.tgz", {
    "bootloader.bin": espImage("esp32s3"), "partition-table.bin": PARTITIONS, "espruino-esp32s3.bin": espImage("esp32s3"),
  });
  const ok = await flashSh(["--port", "/dev/ttyACM0", "--board", "esp32s3", "--install-espruino", tgz, "--print-esptool"]);
  assert.equal(ok.code, 0, ok.stderr);
  // The stock S3 build leaves TLS too little native heap: one W line, and the install goes on.
  assert.match(ok.stderr, /^W flash: espruino_2v29_esp32s3\.tgz leaves too little native heap for TLS on .+ \(installing it anyway\)$/m);
  assert.match(ok.stdout, /^esptool\.py --chip esp32s3 --port \/dev\/ttyACM0 --baud 460800 write_flash 0x0 \S+bootloader\.bin 0x8000 \S+partition-table\.bin 0x10000 \S+espruino-esp32s3\.bin$/m);
  const bad = await flashSh(["--port", "/dev/ttyACM0", "--board", "esp32", "--install-espruino", tgz, "--print-esptool"]);
  assert.match(errorLine(bad), /^E flash: espruino_2v29_esp32s3\.tgz is the Espruino release for esp32s3, but the board is esp32: /);
});

test("install over tcp:// is refused in one line with a non-zero exit, and no esptool command that cannot work", async () => {
  const tgz = release("espruino_2v29_esp32s3.tgz", {
    "bootloader.bin": espImage("esp32s3"), "partition-table.bin": PARTITIONS, "espruino-esp32s3.bin": espImage("esp32s3"),
  });
  const expected = "E flash: --install-espruino cannot work over tcp://127.0.0.1:9 (the interpreter is written through the chip's ROM " +
    "bootloader, which only its USB serial port reaches): plug the ESP32-S3 in and pass --port /dev/ttyACM0";
  for (const extra of [[], ["--print-esptool"]]) {
    const r = await flashSh(["--port", "tcp://127.0.0.1:9", "--board", "esp32s3", "--install-espruino", tgz, ...extra]);
    assert.equal(errorLine(r, 2), expected);
    assert.doesNotMatch(r.stdout, /esptool\.py/);
  }
});

test("--print-esptool without --install-espruino says what it goes with", async () => {
  const r = await flashSh(["--port", "/dev/ttyACM0", "--board", "esp32c3", "--print-esptool"]);
  assert.equal(errorLine(r, 2), "E flash: --print-esptool prints the command that installs the interpreter: add --install-espruino espruino_2v29_<chip>.tgz");
});
