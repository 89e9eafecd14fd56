// The virtual board against real loopback servers (node:net / node:tls, openssl certificates):
// what the program sees, socket behaviour and close order as on Espruino 2v29, Wi-Fi, Storage, boot.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { after, afterEach, before, describe, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { createBoard, VirtualBoard, type Board, type VirtualBoardOptions } from "../tools/vboard/index.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";
import { CHUNK_SIZE, espruinoSocketModule } from "../tools/vboard/sockets.ts";
import { freePort } from "./helpers/net.ts";

const FIXTURES = new URL("./fixtures/vboard/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "vboard-test-"));
let certPem = "", keyPem = "", otherDerB64 = "";

const boards: Board[] = [];
const servers: net.Server[] = [];
let dirCount = 0;

before(() => {
  const a = generateSelfSigned({ host: "127.0.0.1", outDir: join(scratch, "a") });
  const b = generateSelfSigned({ host: "other.example", outDir: join(scratch, "b") });
  certPem = readFileSync(a.certPath, "utf8");
  keyPem = readFileSync(a.keyPath, "utf8");
  otherDerB64 = pemBody(readFileSync(b.certPath, "utf8"));
});
afterEach(async () => {
  for (const b of boards.splice(0)) await b.stop();
  for (const s of servers.splice(0)) {
    s.close();
    (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  }
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, "");
}

function newDir(): string {
  return join(scratch, `board${dirCount++}`);
}

function newBoard(code: string, o: Partial<VirtualBoardOptions> = {}, storage: Record<string, unknown> = {}): VirtualBoard {
  return engineBoard("node", code, o, storage) as VirtualBoard;
}

function engineBoard(engine: EngineName, code: string, o: Partial<VirtualBoardOptions> = {}, storage: Record<string, unknown> = {}): Board {
  const b = createBoard({ engine, board: "esp32", storageDir: newDir(), ...o });
  boards.push(b);
  for (const [k, v] of Object.entries(storage)) b.writeFile(k, JSON.stringify(v));
  b.flash(code);
  b.boot();
  return b;
}

async function listen(s: net.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as net.AddressInfo).port;
}

/** The socket events a fixture printed, in order. */
function events(b: VirtualBoard): string[] {
  return b.output.split("\n").filter((l) => /^(EV |THROW |UNCAUGHT |ERROR: |WARNING: )/.test(l)).map((l) => l.trimEnd());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255));

describe("what the program sees", () => {
  test("Espruino's globals are there, V8's extras and Node's are not", async () => {
    const b = newBoard(fixture("globals.js"));
    await b.waitFor(/^DONE$/, 3000);
    const types = new Map(b.output.split("\n").filter((l) => l.startsWith("G ")).map((l) => l.slice(2).split("=") as [string, string]));
    for (const n of ["Map", "Set", "WeakMap", "WeakSet", "Symbol", "Reflect", "Proxy", "WeakRef", "BigInt", "Buffer",
      "process.binding", "require.resolve", "queueMicrotask", "structuredClone", "setImmediate",
      "Object.freeze", "Array.from", "Number.isInteger", "Math.trunc", "Date.UTC"]) {
      assert.equal(types.get(n), "undefined", `${n} must be absent`);
    }
    for (const n of ["E.reboot", "E.getTemperature", "E.toString", "E.on", "E.enableWatchdog", "E.kickWatchdog",
      "E.getErrorFlags", "E.setBootCode", "process.memory", "process.on", "getTime", "setTime", "setTimeout",
      "setInterval", "clearTimeout", "clearInterval", "console.log", "print", "atob", "btoa", "digitalWrite",
      "pinMode", "getSerial", "load", "reset", "ESP32.getState", "ESP32.deepSleep", "Promise", "Uint8Array",
      "DataView", "Object.assign", "InternalError"]) {
      assert.equal(types.get(n), "function", `${n} must be a function`);
    }
    for (const n of ["E", "process", "LED1", "ESP32", "global", "JSON"]) assert.equal(types.get(n), "object", n);
    const env = JSON.parse(b.output.match(/^ENV (.*)$/m)![1]);
    assert.equal(env.VERSION, "2v29");
    assert.equal(env.BOARD, "ESP32");
    assert.equal(env.PATH, undefined, "never the host's environment");
    assert.equal(env.HOME, undefined);
    assert.match(b.output, /^VERSION 2v29$/m);
    assert.match(b.output, /^MEM \{"total":16383,"blocksize":14\}$/m, "no invented free/usage figures");
    assert.match(b.output, /^TEMP 128$/m);
    // The board definition's figures for the variant it models (esp32: wrover-2v29, before Wi-Fi).
    assert.match(b.output, /^STATE \{"freeHeap":108000,"minHeap":108000\}$/m, "the modelled variant's heap");
    assert.match(b.output, /^LED D2$/m);
    assert.match(b.output, /^B64 \/wBB true$/m);
    assert.match(b.output, /^ETOSTRING "Hi!\\n"$/m);
    assert.match(b.output, /^REQ Error: Module "MQTT" not found$/m);
    // A built-in module the board has and the imitation does not (crypto is imitated since the updates use it).
    assert.match(b.output, /^STUB Error: require\("neopixel"\)\.write is not simulated by the virtual board$/m);
    assert.match(b.output, /^TIMER number$/m);
    assert.match(b.output.split("\n")[0], /^Espruino 2v29 /, "boot banner with the version first");
  });

  test("ESP32-C3 reports its own board id, JsVars and a NaN temperature", async () => {
    const b = newBoard(fixture("globals.js"), { board: "esp32c3" });
    await b.waitFor(/^DONE$/, 3000);
    assert.equal(JSON.parse(b.output.match(/^ENV (.*)$/m)![1]).BOARD, "ESP32C3_IDF4");
    assert.match(b.output, /^MEM \{"total":4095,"blocksize":13\}$/m);
    assert.match(b.output, /^TEMP NaN$/m);
  });

  test("bad options fail with one clear line", () => {
    assert.throws(() => new VirtualBoard({ board: "esp8266" as "esp32", storageDir: newDir() }), /Unknown board "esp8266": use one of esp32, esp32c3, esp32s3/);
    assert.throws(() => new VirtualBoard({ board: "esp32", storageDir: "" }), /storageDir is required/);
    assert.throws(() => new VirtualBoard({ board: "esp32", storageDir: newDir(), hosts: { broker: "10.0.0.5" } }),
      /hosts\["broker"\] = "10.0.0.5" is not a loopback address/);
    assert.throws(() => new VirtualBoard({ board: "esp32", storageDir: newDir(), timeScale: 0 }), /timeScale must be a positive number/);
  });
});

describe("TLS and TCP sockets", () => {
  test("TLS with a DER ca: >5 KB both ways, chunks <= 536 bytes, server certificate not verified, no useful SNI", async () => {
    const size = 6000;
    let received = Buffer.alloc(0);
    let sni: string | false | undefined;
    const server = tls.createServer({ key: keyPem, cert: certPem }, (s) => {
      sni = (s as tls.TLSSocket & { servername?: string | false }).servername;
      s.on("data", (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (received.length === size) {
          // Uneven writes, so the board has to both split and coalesce.
          const p = pattern(size);
          s.write(p.subarray(0, 1000));
          s.write(p.subarray(1000, 1001));
          s.write(p.subarray(1001));
        }
      });
    });
    const port = await listen(server);
    // The ca is an unrelated certificate: Espruino parses it but never verifies the server with it.
    const b = newBoard(fixture("tls-exchange.js"), {}, { cfg: { host: "127.0.0.1", port, ca: otherDerB64, size } });
    const line = await b.waitFor(/^RX /, 8000);
    const [, got, max, bad] = line.match(/^RX (\d+) max=(\d+) bad=(-?\d+)$/)!;
    assert.equal(Number(got), size);
    assert.equal(Number(bad), -1, "bytes intact");
    assert.ok(Number(max) <= CHUNK_SIZE && Number(max) > 0, `largest chunk ${max}`);
    assert.ok(received.equals(pattern(size)), "server got the board's bytes intact");
    assert.equal(sni, "mbed TLS Server 1", "Espruino's hard-coded hostname, not the host");
  });

  test("a PEM ca, a malformed DER ca or a missing ca file throw synchronously like Espruino", async () => {
    const port = await freePort();
    const msg = "THROW InternalError: HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format";
    const pem = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port, ca: certPem, caRaw: true } });
    await pem.waitFor(/^THROW /, 3000);
    assert.deepEqual(events(pem), [msg]);
    const der = Buffer.from(pemBody(certPem), "base64");
    const truncated = der.subarray(0, 300).toString("base64");
    const bad = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port, ca: truncated } });
    await bad.waitFor(/^THROW /, 3000);
    assert.deepEqual(events(bad), [msg]);
    const missing = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port, ca: "ca.der", caRaw: true } });
    await missing.waitFor(/^THROW /, 3000);
    assert.deepEqual(events(missing), ['WARNING: File "ca.der" not found', msg]);
  });

  test("a short ca string names a Storage file holding the certificate", async () => {
    const port = await listen(tls.createServer({ key: keyPem, cert: certPem }, (s) => s.write("ok")));
    const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port, ca: "ca.pem", caRaw: true } });
    b.storage.write("ca.pem", certPem);
    await b.waitFor(/^EV data "ok"$/, 5000);
  });

  test("a clean server close of TLS gives error -30848, end, close(true)", async () => {
    const port = await listen(tls.createServer({ key: keyPem, cert: certPem }, (s) => s.end("bye")));
    const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port } });
    await b.waitFor(/^EV close /, 5000);
    assert.deepEqual(events(b), ["EV connect", 'EV data "bye"', "EV error -30848 unknown error", "EV end", "EV close true"]);
  });

  test("a clean server close of plain TCP gives end, close(false)", async () => {
    const port = await listen(net.createServer((s) => s.end("bye")));
    const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "net", host: "127.0.0.1", port } });
    await b.waitFor(/^EV close /, 5000);
    assert.deepEqual(events(b), ["EV connect", 'EV data "bye"', "EV end", "EV close false"]);
  });

  test("a failed handshake: connect first, then error -8 (unsent data), end, close(true) and an uncaught InternalError", async () => {
    const port = await listen(net.createServer((s) => s.end("HTTP/1.0 400 Bad Request\r\n\r\n")));
    const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port, write: "CONNECT" } });
    await b.waitFor(/^UNCAUGHT /, 5000);
    assert.deepEqual(events(b).slice(0, 4), ["EV connect", "EV error -8 unsent data", "EV end", "EV close true"]);
    assert.match(events(b)[4], /^UNCAUGHT InternalError: mbedtls_ssl_handshake returned -0x[0-9a-f]+$/);
  });

  test("a refused connection throws from connect after printing the errno, like the Linux build", async () => {
    const port = await freePort();
    const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "tls", host: "127.0.0.1", port } });
    await b.waitFor(/^THROW /, 3000);
    assert.deepEqual(events(b), ["ERROR: Connect failed (err 111)", "THROW InternalError: Unable to create socket"]);
  });

  test("with refused: 'events' a refused connection gives error -9, end, close(true)", async () => {
    const port = await freePort();
    const b = newBoard(fixture("socket-events.js"), { refused: "events" }, { cfg: { kind: "net", host: "127.0.0.1", port } });
    await b.waitFor(/^EV close /, 3000);
    assert.deepEqual(events(b), ["EV error -9 connection reset", "EV end", "EV close true"]);
  });

  test("non-loopback hosts fail like a DNS failure (-6); hosts maps names to loopback", async () => {
    for (const host of ["example.com", "10.0.0.1", "8.8.8.8"]) {
      const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "net", host, port: 1883 } });
      await b.waitFor(/^EV close /, 3000);
      assert.deepEqual(events(b), ["EV error -6 not found", "EV end", "EV close true"], host);
    }
    const port = await listen(net.createServer((s) => s.end("hi")));
    const b = newBoard(fixture("socket-events.js"), { hosts: { "broker.lan": "127.0.0.1" } }, { cfg: { kind: "net", host: "broker.lan", port } });
    await b.waitFor(/^EV data "hi"$/, 3000);
  });

  test("while Wi-Fi is down sockets stall both ways, then deliver once the firmware rejoins", async () => {
    let serverSide: net.Socket | undefined;
    let fromBoard = "";
    const port = await listen(net.createServer((s) => {
      serverSide = s;
      s.on("data", (d) => (fromBoard += d.toString("latin1")));
    }));
    const b = newBoard(fixture("socket-events.js"), {}, { cfg: { kind: "net", host: "127.0.0.1", port, whileDown: "queued-by-board" } });
    await b.waitFor(/^EV connect$/, 3000);
    while (!serverSide) await sleep(10);
    b.ap.dropLink();
    await b.waitFor(/^WIFI down$/, 2000);
    serverSide.write("sent-while-down");
    await sleep(300);
    assert.doesNotMatch(b.output, /EV data/, "nothing arrives over a dead link");
    assert.equal(fromBoard, "", "nothing leaves over a dead link");
    assert.doesNotMatch(b.output, /WIFI up/, "no reconnect while the access point is away");
    const at = b.output.length;
    b.ap.restoreLink();
    await b.waitFor(/^WIFI up$/, 3000, at);
    await b.waitFor(/^EV data "sent-while-down"$/, 3000, at);
    for (let i = 0; i < 100 && fromBoard === ""; i++) await sleep(10);
    assert.equal(fromBoard, "queued-by-board");
    assert.doesNotMatch(b.output, /EV close/);
  });

  test("unsent data over a dead link times out: error -3, end, close(true)", async () => {
    const port = await listen(net.createServer(() => {}));
    const b = newBoard(fixture("socket-events.js"), { stallTimeoutMs: 200 }, { cfg: { kind: "net", host: "127.0.0.1", port, whileDown: "x" } });
    await b.waitFor(/^EV connect$/, 3000);
    b.ap.dropLink();
    await b.waitFor(/^EV close /, 3000);
    assert.deepEqual(events(b).slice(1), ["EV error -3 timeout", "EV end", "EV close true"]);
  });

  test("espruinoSocketModule works without a board: binary strings, 536-byte chunks, end/close", async () => {
    const payload = pattern(3000);
    const port = await listen(net.createServer((s) => s.end(payload)));
    const lines: string[] = [];
    const chunks: string[] = [];
    const sock = espruinoSocketModule("net").connect({ host: "localhost", port }, () => lines.push("connect"));
    sock.on("data", (d: string) => chunks.push(d));
    sock.on("end", () => lines.push("end"));
    await new Promise<void>((r) => sock.on("close", (h: boolean) => { lines.push(`close ${h}`); r(); }));
    assert.deepEqual(lines, ["connect", "end", "close false"]);
    assert.ok(chunks.every((c) => typeof c === "string" && c.length <= CHUNK_SIZE));
    assert.ok(Buffer.from(chunks.join(""), "latin1").equals(payload));
  });
});

describe("the espruino engine's network [espruino]", onEngine("espruino"), () => {
  test("it reaches loopback only: unknown names and other addresses fail, hosts maps names to 127.x", async () => {
    for (const host of ["example.com", "10.0.0.1", "8.8.8.8"]) {
      const b = engineBoard("espruino", fixture("socket-events.js"), {}, { cfg: { kind: "net", host, port: 1883 } });
      // The real interpreter reports these its own way (a throw or error events): what matters is no connect.
      await b.waitFor(/^(EV close |THROW )/, 10_000);
      assert.doesNotMatch(b.output, /EV connect/, host);
    }
    const port = await listen(net.createServer((s) => s.end("hi")));
    const b = engineBoard("espruino", fixture("socket-events.js"), { hosts: { "broker.lan": "127.0.0.1" } }, { cfg: { kind: "net", host: "broker.lan", port } });
    await b.waitFor(/^EV data "hi"$/, 10_000);
  });
});

// The node engine's Wi-Fi and the espruino engine's stand-in module follow the same 2v29 rules.
for (const engine of ENGINES) describe(`Wi-Fi [${engine}]`, onEngine(engine), () => {
  const run = (ap: VirtualBoardOptions["ap"], wifi: Record<string, unknown>, o: Partial<VirtualBoardOptions> = {}) =>
    engineBoard(engine, fixture("wifi.js"), { ap, ...o }, { wifi });

  test("join: associated, connected {ip, netmask, gw}, then the callback with null", async () => {
    const b = run({ ssid: "lab", password: "right", ip: "192.168.7.20" }, { ssid: "lab", password: "right" });
    await b.waitFor(/^WIFI cb /, 10_000);
    const lines = b.output.split("\n").filter((l) => l.startsWith("WIFI"));
    assert.deepEqual(lines, ["WIFI associated", "WIFI connected 192.168.7.20 255.255.255.0 192.168.7.1", "WIFI cb null connected"]);
    const status = JSON.parse((await b.waitFor(/^WIFI status /, 10_000)).slice(12));
    assert.deepEqual(Object.keys(status).sort(), ["authMode", "password", "ssid", "status"], "no rssi: 2v29 does not report it");
    assert.equal(status.status, "connected");
  });

  test("a wrong password never calls back; reason 202 AUTH_FAIL, and the status names it", async () => {
    const b = run({ ssid: "lab", password: "right" }, { ssid: "lab", password: "wrong" });
    await b.waitFor(/^WIFI disconnected 202 AUTH_FAIL lab AUTH_FAIL$/, 10_000);
    await b.waitFor(/^WIFI status /, 10_000);
    assert.match(b.output, /WIFI status \{"status":"AUTH_FAIL"\}/);
    assert.doesNotMatch(b.output, /WIFI cb/);
    assert.doesNotMatch(b.output, /right|wrong"/, "no password in the output");
  });

  test("a missing access point: reason 201 NO_AP_FOUND, no callback", async () => {
    const b = run({ present: false }, { ssid: "lab", password: "x" });
    await b.waitFor(/^WIFI disconnected 201 NO_AP_FOUND lab NO_AP_FOUND$/, 10_000);
    assert.doesNotMatch(b.output, /WIFI cb/);
  });

  test("after a drop: one disconnected, no automatic reconnect, joins again when the firmware retries", async () => {
    const b = run({}, { ssid: "lab", password: "x", retryMs: 100 });
    await b.waitFor(/^WIFI cb null connected$/, 10_000);
    b.ap.dropLink("beacon_timeout");
    await b.waitFor(/^WIFI disconnected 200 BEACON_TIMEOUT lab BEACON_TIMEOUT$/, 10_000);
    await b.waitFor(/^WIFI disconnected 201 NO_AP_FOUND lab NO_AP_FOUND$/, 10_000);
    assert.equal(b.output.match(/WIFI cb/g)!.length, 1);
    const at = b.output.length;
    b.ap.restoreLink();
    await b.waitFor(/^WIFI cb null connected$/, 3000, at);
  });

  test("the SSID is cut to 31 bytes and the password to 63 characters, as 2v29 copies them", async () => {
    const ssid = "s".repeat(31);
    const pw = "p".repeat(63);
    const b = run({ ssid, password: pw }, { ssid: ssid + "X", password: pw + "Y" });
    await b.waitFor(/^WIFI cb null connected$/, 10_000);
  });

  test("setSNTP sets the clock only with a time server, and only once Wi-Fi is up", async () => {
    const prog = `var W = require("Wifi"); W.setSNTP("pool.ntp.org", "UTC0");
      setTimeout(function () { print("BEFORE " + getTime().toFixed(0)); W.connect("Net", {password: "pw123456"}, function () {}); }, 600);
      function poll() { if (getTime() > 1e9) print("SET " + getTime().toFixed(0)); else setTimeout(poll, 100); }
      poll();`;
    const b = engineBoard(engine, prog, { timeServer: true, ap: { ssid: "Net", password: "pw123456" } });
    const before = await b.waitFor(/^BEFORE /, 10_000);
    assert.ok(Number(before.split(" ")[1]) < 1e6, "no answer while offline: the clock still counts from boot");
    const set = await b.waitFor(/^SET /, 10_000);
    assert.ok(Math.abs(Number(set.split(" ")[1]) - Date.now() / 1000) < 3, "clock at wall time");
    const none = engineBoard(engine, prog, { ap: { ssid: "Net", password: "pw123456" } });
    await none.waitFor(/^BEFORE /, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(none.output, /^SET /m, "without a time server only the server name is recorded");
  });

  test("a second setSNTP in one boot is reported: it most likely reboots a C3/S3", async () => {
    const b = engineBoard(engine, `var W = require("Wifi"); W.setSNTP("pool.ntp.org", "UTC0"); print("ONE"); W.setSNTP("pool.ntp.org", "UTC0"); print("TWO");`);
    await b.waitFor(/^TWO$/, 10_000);
    assert.equal(b.output.match(/Wifi\.setSNTP called again while SNTP runs/g)?.length, 1);
  });

  test("setSNTP refuses a zone that is not a string, as Espruino's ESP32 build does", async () => {
    const b = engineBoard(engine, `try { require("Wifi").setSNTP("pool.ntp.org", 0); print("NO THROW"); } catch (e) { print("THROW " + e); }`);
    await b.waitFor(/^THROW Error: Zone is not a string$/, 10_000);
  });

  test("a new password on the access point is taken on the next join", async () => {
    const b = run({ password: "old" }, { ssid: "lab", password: "new", retryMs: 50 });
    await b.waitFor(/AUTH_FAIL$/, 10_000);
    b.ap.setPassword("new");
    await b.waitFor(/^WIFI cb null connected$/, 10_000);
  });
});

describe("Storage, boot and the interpreter", () => {
  test("Storage survives a reboot and a new VirtualBoard on the same directory", async () => {
    const dir = newDir();
    const b = new VirtualBoard({ board: "esp32s3", storageDir: dir });
    boards.push(b);
    b.flash(fixture("counter.js"));
    b.boot();
    await b.waitFor(/^INIT 1$/, 3000);
    const at = b.output.length;
    let rebooted = false;
    b.once("reboot", () => (rebooted = true));
    b.reboot();
    await b.waitFor(/^BOOT 2 files=1$/, 3000, at);
    assert.ok(rebooted);
    await b.stop();
    const c = new VirtualBoard({ board: "esp32s3", storageDir: dir });
    boards.push(c);
    c.boot();
    await c.waitFor(/^BOOT 3 files=1$/, 3000);
  });

  test("E.reboot() and load() tear the program down and run .bootcde again", async () => {
    const code = `var S = require("Storage"); var n = (S.readJSON("n", true) || 0) + 1; S.writeJSON("n", n);
      print("RUN " + n); setInterval(function () { print("OLD " + n); }, 20);
      if (n === 1) setTimeout(function () { E.reboot(); print("after reboot"); }, 50);
      if (n === 2) setTimeout(function () { load(); }, 50);`;
    const b = newBoard(code);
    await b.waitFor(/^RUN 3$/, 3000);
    const tail = b.output.slice(b.output.indexOf("RUN 3"));
    await sleep(100);
    assert.doesNotMatch(b.output.slice(b.output.indexOf("RUN 3")), /OLD [12]/, "old timers are gone");
    assert.doesNotMatch(b.output, /after reboot/, "nothing runs after E.reboot()");
    assert.equal(b.output.match(/^Espruino 2v29 /gm)!.length, 3, "a banner per boot");
    assert.ok(tail.length > 0);
  });

  test("Storage write with offset and size, read, list, erase", async () => {
    const code = `var S = require("Storage");
      S.write("f", "ab", 0, 5); S.write("f", "cd", 2);
      print("READ " + JSON.stringify(S.read("f")) + " " + S.read("f", 1, 2));
      try { S.write("g", "x", 3); } catch (e) { print("OFFSET " + e); }
      S.write("${"n".repeat(28)}", "x");
      print("LIST " + JSON.stringify(S.list(/^[fn]/)) + " " + (S.list() instanceof Array));
      S.erase("f"); print("GONE " + S.read("f") + " " + (S.getFree() > 900000));`;
    const b = newBoard(code);
    await b.waitFor(/^GONE /, 3000);
    // As Espruino prints it: JSON.stringify escapes chars from 0x7f up (docs/espruino.md §1.5).
    assert.match(b.output, /^READ "abcd\\u00FF" bc$/m);
    assert.match(b.output, /^OFFSET Error: Storage.write: file "g" does not exist/m);
    assert.match(b.output, /^LIST \["f","n{28}"\] true$/m);
    assert.match(b.output, /^GONE undefined true$/m);
  });

  test("an uncaught exception is printed and the timers keep running", async () => {
    const b = newBoard(fixture("counter.js"));
    await b.waitFor(/^Uncaught Error: boom in timer$/, 3000);
    const at = b.output.length;
    await b.waitFor(/^TICK \d+$/, 3000, at);
    const top = newBoard(`setTimeout(function () { print("still alive"); }, 30); throw new TypeError("top level");`);
    await top.waitFor(/^still alive$/, 3000);
    assert.match(top.output, /^Uncaught TypeError: top level$/m);
    const rej = newBoard(`Promise.reject(new Error("nobody caught me"));
      Promise.reject(new Error("handled")).catch(function (e) { print("caught " + e); });
      new Promise(function (res) { res(1); }).then(function () { throw new Error("in then"); });
      setTimeout(function () { print("after"); }, 30);`);
    await rej.waitFor(/^after$/, 3000);
    assert.match(rej.output, /^Uncaught Error: Unhandled promise rejection: Error: nobody caught me$/m);
    assert.match(rej.output, /^Uncaught Error: Unhandled promise rejection: Error: in then$/m);
    assert.match(rej.output, /^caught Error: handled$/m);
    assert.doesNotMatch(rej.output, /Unhandled promise rejection: Error: handled/);
  });

  test("timeScale runs the board's clock and timers faster", async () => {
    const t0 = Date.now();
    const b = newBoard(`var t0 = getTime(); setTimeout(function () { print("ELAPSED " + (getTime() - t0).toFixed(1)); }, 3000);`, { timeScale: 10 });
    const line = await b.waitFor(/^ELAPSED /, 2000);
    const real = Date.now() - t0;
    assert.ok(real < 1500, `3 board seconds took ${real} ms`);
    const elapsed = Number(line.split(" ")[1]);
    assert.ok(elapsed >= 3 && elapsed < 3.6, `board clock advanced ${elapsed} s`);
  });

  test("waitFor rejects with the last output; stop() ends output", async () => {
    const b = newBoard(`setInterval(function () { print("tick"); }, 10);`);
    await assert.rejects(b.waitFor(/^never$/, 100), /waitFor \/\^never\$\/ timed out after 100 ms; last output:\n[\s\S]*tick/);
    await b.stop();
    const len = b.output.length;
    await sleep(50);
    assert.equal(b.output.length, len);
  });
});

// Behaviour measured on the real 2v29 interpreter, asserted on both engines so the imitation cannot
// drift from it again (docs/espruino.md §3.2 and §3.5).
for (const engine of ENGINES) describe(`as the real interpreter does [${engine}]`, onEngine(engine), () => {
  test("clearTimeout: a fired, unknown or null id is ignored, undefined throws and clears nothing, no argument clears every timer", async () => {
    const b = engineBoard(engine, `
      var fired = setTimeout(function () {
        try { clearTimeout(fired); clearTimeout(fired); clearInterval(12345); clearTimeout(null); clearInterval(null); clearTimeout(0); print("IGNORED"); }
        catch (e) { print("THREW " + e); }
        setTimeout(function () { print("A ran"); }, 50);
        setInterval(function () { print("B ran"); }, 50);
        try { clearTimeout(undefined); print("NO THROW"); } catch (e) { print("T " + (e instanceof Error) + " " + e.message); }
        try { var u; clearInterval(u); print("NO THROW"); } catch (e) { print("I " + (e instanceof Error) + " " + e.message); }
        setTimeout(function () {
          clearTimeout();
          print("CLEARED");
          setTimeout(function () { print("after clear-all"); }, 150);
        }, 130);
      }, 10);`);
    await b.waitFor(/^after clear-all$/, 10_000);
    assert.match(b.output, /^IGNORED$/m);
    assert.match(b.output, /^T true clearTimeout\(undefined\) not allowed\. Use clearTimeout\(\) instead$/m);
    assert.match(b.output, /^I true clearInterval\(undefined\) not allowed\. Use clearInterval\(\) instead$/m);
    assert.doesNotMatch(b.output, /THREW|NO THROW/);
    const before = b.output.slice(0, b.output.indexOf("CLEARED"));
    assert.match(before, /^A ran$/m, "clearTimeout(undefined) left the timeout");
    assert.match(before, /^B ran$/m, "and the interval");
    assert.doesNotMatch(b.output.slice(b.output.indexOf("CLEARED")), /A ran|B ran/, "clearTimeout() cleared the interval");
  });

  test("Storage: a file name over 28 characters is cut to 28, without an error, by every call that takes one", async () => {
    const long = "abcdefghijklmnopqrstuvwxyz0123456789";
    const b = engineBoard(engine, `var S = require("Storage"), long = "${long}";
      try {
        S.write(long, "hello");
        print("LIST " + JSON.stringify(S.list(/^abc/)));
        print("READ " + S.read(long) + " " + S.read(long.substr(0, 28)) + " " + S.read(long.substr(0, 30)));
        S.writeJSON(long + "X", { a: 1 });
        print("JSON " + JSON.stringify(S.readJSON(long.substr(0, 29))) + " " + JSON.stringify(S.list(/^abc/)));
        S.erase(long.substr(0, 31));
        print("ERASED " + JSON.stringify(S.list(/^abc/)) + " " + S.read(long.substr(0, 28)));
      } catch (e) { print("THREW " + e); }`);
    await b.waitFor(/^(ERASED|THREW) /, 10_000);
    assert.doesNotMatch(b.output, /THREW/);
    assert.match(b.output, /^LIST \["abcdefghijklmnopqrstuvwxyz01"\]$/m);
    assert.match(b.output, /^READ hello hello hello$/m);
    assert.match(b.output, /^JSON \{"a":1\} \["abcdefghijklmnopqrstuvwxyz01"\]$/m);
    assert.match(b.output, /^ERASED \[\] undefined$/m);
  });

  test("JSON.stringify writes chars from 0x7f up and control chars as \\u00XX in capitals; crypto.SHA256 hashes a Storage read", async () => {
    const b = engineBoard(engine, `var S = require("Storage");
      try {
        print("J " + JSON.stringify({ a: "\\xe9\\x7f\\x80\\x1f\\\\u00e9\\"" }));
        S.write("h", "abc");
        var d = new Uint8Array(require("crypto").SHA256(S.read("h"))), x = "";
        d.forEach(function (v) { x += (v < 16 ? "0" : "") + v.toString(16); });
        print("H " + x);
      } catch (e) { print("THREW " + e); }`);
    await b.waitFor(/^(H|THREW) /m, 10_000);
    assert.doesNotMatch(b.output, /THREW/);
    assert.match(b.output, /^J \{"a":"\\u00E9\\u007F\\u0080\\u001F\\\\u00e9\\""\}$/m);
    assert.match(b.output, /^H ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad$/m);
  });

  test("Math.round rounds halves away from zero (V8: towards +infinity)", async () => {
    const b = engineBoard(engine, `print("R " + [-2.5, -1.5, -0.5, 0.5, 2.5, -2.4, -2.6].map(Math.round).join(","));`);
    await b.waitFor(/^R /m, 10_000);
    assert.match(b.output, /^R -3,-2,-1,1,3,-2,-3$/m);
  });
});
