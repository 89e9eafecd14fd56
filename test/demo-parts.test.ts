// The demo's parts on their own: command line checks, the certificate pair rules, the endpoint's port
// fall-back and the time server, each against real files, real openssl and real sockets; `--engine` of
// npm start and npm run sim, and the sim booting the firmware on the real interpreter.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { ensureCertPair, keyPathFor } from "../tools/demo/cert-pair.ts";
import { startLocalEndpoint } from "../tools/demo/local-endpoint.ts";
import { parseStartArgs } from "../tools/start.ts";
import { parseSimArgs } from "../tools/vboard/cli.ts";
import { buildTestFirmware } from "./helpers/firmware.ts";
import { onEngine } from "./helpers/engines.ts";
import { freePort } from "./helpers/net.ts";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "tb-demo-parts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("start arguments: defaults, and one clear line for each bad value", () => {
  assert.deepEqual(parseStartArgs([]), { engine: "node", seconds: 0, timeScale: 1, pagePort: 8080, storage: undefined, out: undefined, ota: false, sensor: undefined });
  assert.equal(parseStartArgs(["--ota"]).ota, true);
  assert.equal(parseStartArgs(["--sensor", "bme280"]).sensor, "bme280");
  assert.equal(parseStartArgs(["--sensor=dht22"]).sensor, "dht22");
  assert.deepEqual(parseStartArgs(["--seconds", "2.5", "--page-port", "0", "--storage", "x"]).seconds, 2.5);
  const bad: Array<[string[], RegExp]> = [
    [["--seconds", "abc"], /^E start: --seconds must be a positive number of seconds \(omit it to run until Ctrl-C\), got "abc"$/],
    [["--seconds=-1"], /--seconds must be a positive number/],
    [["--seconds", ""], /--seconds must be a positive number/],
    [["--time-scale", "0"], /^E start: --time-scale must be a positive number \(1 = real time\), got "0"$/],
    [["--page-port", "70000"], /^E start: --page-port must be a port from 0 to 65535 \(0 = any free port\), got "70000"$/],
    [["--page-port", "80.5"], /--page-port must be a port/],
    [["--sconds", "3"], /^E start: Unknown option '--sconds'.*; usage: npm start -- \[--engine node\|espruino\] \[--seconds N\]/],
    [["--sensor", "bmp280"], /^E start: --sensor must be one of sht3x, sht4x, bme280, ds18b20, dht22, got "bmp280"$/],
    [["--sensor", "simulated"], /^E start: --sensor must be one of sht3x, sht4x, bme280, ds18b20, dht22, got "simulated"$/],
    [["--sensor"], /^E start: Option '--sensor <value>' argument missing/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseStartArgs(argv), { message: re }, argv.join(" "));
});

test("start arguments: --engine node or espruino, nothing else", () => {
  assert.equal(parseStartArgs(["--engine", "node"]).engine, "node");
  assert.equal(parseStartArgs(["--engine", "espruino", "--time-scale", "10"]).engine, "espruino");
  assert.equal(parseStartArgs(["--engine=espruino"]).engine, "espruino");
  for (const bad of ["Espruino", "vm", ""]) {
    assert.throws(() => parseStartArgs(["--engine", bad]), { message: `E start: --engine must be node or espruino, got "${bad}"` });
  }
  assert.throws(() => parseStartArgs(["--engine"]), { message: /^E start: Option '--engine <value>' argument missing/ });
});

test("sim arguments: --engine, --board, and any --repl-port on both engines", () => {
  assert.deepEqual(parseSimArgs([]), {
    engine: "node", file: "dist/firmware.js", board: undefined, storage: undefined, ssid: undefined, password: undefined,
    timeScale: 1, replPort: undefined, help: false,
  });
  assert.equal(parseSimArgs(["--repl-port", "0"]).replPort, 0, "the node engine takes any port (0: a free one)");
  const esp = parseSimArgs(["--engine", "espruino", "--time-scale", "5"]);
  assert.deepEqual([esp.engine, esp.timeScale, esp.replPort], ["espruino", 5, undefined]);
  // The espruino engine's REPL is a proxy in front of the interpreter's telnet server: any port too.
  assert.equal(parseSimArgs(["--engine", "espruino", "--repl-port", "5000"]).replPort, 5000);
  assert.equal(parseSimArgs(["--engine", "espruino", "--repl-port", "0"]).replPort, 0, "0: a free port, as on the node engine");
  assert.equal(parseSimArgs(["--board", "esp32s3"]).board, "esp32s3");
  const bad: Array<[string[], string | RegExp]> = [
    [["--engine", "espruino2"], '--engine must be node or espruino, got "espruino2"'],
    [["--engine", "NODE"], '--engine must be node or espruino, got "NODE"'],
    [["--board", "esp32c6"], '--board esp32c6 is not supported: Espruino 2v29 has no build for the ESP32-C6; use one of esp32, esp32c3, esp32s3 (README: "Board support")'],
    [["--board", "esp32c9"], "--board esp32c9 is not a board: use one of esp32, esp32c3, esp32s3"],
    [["--repl-port", "x"], '--repl-port must be a TCP port 0-65535 (0: any free one), got "x"'],
    [["--time-scale", "0"], '--time-scale must be a positive number, got "0"'],
    [["--engin", "espruino"], /^Unknown option '--engin'/],
  ];
  for (const [argv, message] of bad) assert.throws(() => parseSimArgs(argv), { message }, argv.join(" "));
});

test("--engine espruino without ESPRUINO_BIN: one line saying how to get an interpreter, exit code 1", () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ESPRUINO_BIN;
  for (const [tool, prefix] of [["tools/start.ts", "E start: "], ["tools/vboard/cli.ts", "E sim: "]]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", tool, "--engine", "espruino"], { cwd: ROOT, env, encoding: "utf8", timeout: 15_000 });
    assert.equal(r.status, 1, `${tool}: ${r.stderr}`);
    assert.equal(r.stderr, `${prefix}the espruino engine needs the real interpreter: set ESPRUINO_BIN to an Espruino 2v29 Linux build ` +
      "(build Espruino's LINUX board from its public source, or use ../shared/espruino/espruino-linux-x64 in this workplace)\n", tool);
    assert.equal(r.stdout, "", `${tool}: nothing started`);
  }
});

/** `npm run sim` with `args` in a process group of its own (so what it started can be stopped with it):
 *  its output so far, its exit, whether the group is alive, and a bounded wait for a line. */
function spawnSim(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "tools/vboard/cli.ts", ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout!.setEncoding("latin1").on("data", (d: string) => { out += d; });
  child.stderr!.setEncoding("latin1").on("data", (d: string) => { out += d; });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const groupAlive = () => { try { process.kill(-child.pid!, 0); return true; } catch { return false; } };
  return {
    child,
    out: () => out,
    groupAlive,
    /** Ctrl-C, then its exit code, or "still running" after 5 s. */
    interrupt: () => {
      process.kill(child.pid!, "SIGINT");
      return Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 5000))]);
    },
    kill: () => { if (groupAlive()) process.kill(-child.pid!, "SIGKILL"); },
    until: async (re: RegExp, ms: number) => {
      for (const end = Date.now() + ms; !re.test(out); await new Promise((r) => setTimeout(r, 100))) {
        assert.ok(Date.now() < end, `no ${re} within ${ms} ms; the sim said:\n${out.slice(-1500)}`);
      }
    },
  };
}

test("npm run sim -- --engine espruino boots the firmware on the real interpreter", { ...onEngine("espruino"), timeout: 30_000 }, async () => {
  const fw = await buildTestFirmware();
  const sim = spawnSim(["--engine", "espruino", "--file", fw.outFile, "--storage", join(dir, "sim-espruino"),
    "--ssid", "TestNet", "--password", "correct-horse", "--time-scale", "5"]);
  try {
    await sim.until(/\[APP\] Startup\.\. tb-espruino-device \S+ for esp32c3, Espruino 2v29\n/, 15_000);
    assert.match(sim.out(), /^\[sim\] .*firmware\.js on a virtual esp32c3, the real interpreter \(engine espruino\); Ctrl-C to stop\n/);
    assert.match(sim.out(), /Espruino 2v29 ESP32C3_IDF4 \(virtual board, real interpreter\)\n/);
    await sim.until(/wifi: Connected to TestNet/, 5000);
    // Ctrl-C: the sim stops the interpreter and exits 0.
    assert.equal(await sim.interrupt(), 0, sim.out().slice(-500));
    assert.ok(!sim.groupAlive(), "the interpreter stopped with the sim");
  } finally {
    sim.kill();
    fw.cleanup();
  }
});

test("npm run sim -- --board esp32c6: Espruino 2v29 has no build for it, one line, exit code 2", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "tools/vboard/cli.ts", "--board", "esp32c6"], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, '--board esp32c6 is not supported: Espruino 2v29 has no build for the ESP32-C6; use one of esp32, esp32c3, esp32s3 (README: "Board support")\n');
  assert.equal(r.stdout, "");
});

test("npm run sim -- --engine espruino --repl-port N serves the interpreter's REPL on port N", { ...onEngine("espruino"), timeout: 40_000 }, async () => {
  const port = await freePort();
  const sim = spawnSim(["--engine", "espruino", "--file", join(dir, "none.js"), "--storage", join(dir, "sim-repl-port"),
    "--repl-port", String(port)]);
  const sock = new Socket();
  try {
    await sim.until(/\[sim\] REPL on /, 20_000);
    assert.match(sim.out(), new RegExp(`^\\[sim\\] REPL on tcp://127\\.0\\.0\\.1:${port}, the interpreter's own telnet REPL `, "m"));
    let got = "";
    await new Promise<void>((res, rej) => { sock.once("error", rej); sock.connect(port, "127.0.0.1", () => res()); });
    sock.setEncoding("latin1").on("data", (d: string) => { got += d; });
    sock.write("6*7\r");
    for (const end = Date.now() + 10_000; !/=42\r?\n/.test(got); await new Promise((r) => setTimeout(r, 50))) {
      assert.ok(Date.now() < end, `no =42 from the REPL within 10 s; it sent ${JSON.stringify(got.slice(-300))}`);
    }
    sock.destroy();
    assert.equal(await sim.interrupt(), 0, sim.out().slice(-500));
  } finally {
    sock.destroy();
    sim.kill();
  }
});

test("npm start refuses a bad argument before doing anything, exit code 2", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "tools/start.ts", "--seconds", "soon"], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'E start: --seconds must be a positive number of seconds (omit it to run until Ctrl-C), got "soon"');
  assert.equal(r.stdout, "");
});

test("the key lies beside the certificate, named as ThingsBoard's guide names it", () => {
  assert.equal(keyPathFor("/a/certs/server.pem"), "/a/certs/server_key.pem");
  assert.equal(keyPathFor("/a/tb.crt"), "/a/tb_key.pem");
});

test("cert pair: the configured pair when both files are there, else a throw-away pair in the demo's scratch folder, never in the user's", () => {
  // No certificate yet, local host: the user's folder stays as it is (a later real build would embed it).
  const home = join(dir, "local");
  const scratch = join(dir, "scratch");
  const made = ensureCertPair({ serverCert: join(home, "server.pem"), host: "localhost", scratchDir: scratch });
  assert.deepEqual([made.certPath, made.keyPath, made.replacesConfigured], [join(scratch, "demo-server.pem"), join(scratch, "demo-server_key.pem"), true]);
  assert.match(made.note, /server\.pem is missing: made a throw-away RSA-2048 certificate for localhost in \S+scratch for the demo alone/);
  assert.ok(!existsSync(home), "nothing written beside the config");
  assert.match(execFileSync("openssl", ["x509", "-in", made.certPath, "-noout", "-subject"], { encoding: "utf8" }), /CN ?= ?localhost/);

  // The user's own pair (npm run certs): used as it is.
  const own = join(dir, "own");
  generateSelfSigned({ host: "localhost", outDir: own });
  const kept = ensureCertPair({ serverCert: join(own, "server.pem"), host: "localhost", scratchDir: scratch });
  assert.deepEqual([kept.certPath, kept.note, kept.replacesConfigured], [join(own, "server.pem"), "", false]);

  // A real server's certificate without its key: left alone, the endpoint gets its own pair.
  const real = join(dir, "real");
  generateSelfSigned({ host: "localhost", outDir: real, certName: "tb.pem", keyName: "tb_key.pem" });
  rmSync(join(real, "tb_key.pem"));
  const swapped = ensureCertPair({ serverCert: join(real, "tb.pem"), host: "tb.example.org", scratchDir: scratch });
  assert.equal(swapped.replacesConfigured, true);
  assert.equal(swapped.certPath, join(scratch, "demo-server.pem"));
  assert.match(swapped.note, /tb\.pem has no key beside it \(tb_key\.pem\): made a throw-away RSA-2048 certificate for tb\.example\.org/);
  assert.ok(!existsSync(join(real, "tb_key.pem")), "the user's folder is not written");

  // A remote host's missing certificate is not made in the user's folder either.
  const remote = ensureCertPair({ serverCert: join(dir, "none", "server.pem"), host: "192.168.1.10", scratchDir: join(dir, "s2") });
  assert.equal(remote.replacesConfigured, true);
  assert.ok(!existsSync(join(dir, "none")));
  assert.match(execFileSync("openssl", ["x509", "-in", remote.certPath, "-noout", "-ext", "subjectAltName"], { encoding: "utf8" }), /IP Address:192\.168\.1\.10/);
});

test("local endpoint: the configured port when free, a free one when it is taken", async () => {
  const pair = ensureCertPair({ serverCert: join(dir, "ep", "server.pem"), host: "localhost", scratchDir: join(dir, "ep-s") });
  const busy = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => busy.once("listening", r));
  const port = (busy.address() as AddressInfo).port;
  const o = { deviceName: "d", token: "T0KEN_1234", certPath: pair.certPath, keyPath: pair.keyPath };
  const moved = await startLocalEndpoint({ ...o, port });
  try {
    assert.equal(moved.moved, true);
    assert.notEqual(moved.tlsPort, port);
  } finally {
    await moved.endpoint.stop();
  }
  await new Promise((r) => busy.close(r));
  const kept = await startLocalEndpoint({ ...o, port });
  try {
    assert.deepEqual([kept.moved, kept.tlsPort], [false, port]);
  } finally {
    await kept.endpoint.stop();
  }
  await assert.rejects(startLocalEndpoint({ ...o, keyPath: join(dir, "nope.pem"), port: 0 }), /TLS key .*nope\.pem: cannot read it \(ENOENT\); create one with `npm run certs`/);
});
