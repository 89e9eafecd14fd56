// A bundle is flashed only when it was built from exactly the current inputs. The real `bash flash.sh`
// against a virtual board's TCP REPL, with real builds: a config file, a TB_* variable, the certificate
// and a file under src/ each make it rebuild and say why in one line, unchanged inputs do not, and
// what the board stores is what the current inputs make. Then the real `npm start`: it leaves dist/
// and certs/ as they were, and a flash afterwards embeds the user's certificate and port, not the demo's.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../tools/common/board.ts";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { loadDeviceConfig } from "../tools/bundler/config.ts";
import { describeChange, firmwareInputs, inputsFileFor, preambleLine, writeInputsFile } from "../tools/bundler/inputs.ts";
import { staleReason } from "../tools/flash/bundle.ts";
import { createBoard, type Board } from "../tools/vboard/index.ts";
import { startRepl, type ReplServer } from "../tools/vboard/repl.ts";
import { run, type RunResult } from "./helpers/run.ts";

const TOKEN1 = "DEV1_TOKEN_a1b2c3d4";
const TOKEN2 = "DEV2_TOKEN_e5f6g7h8";
const ENV_TOKEN = "ENV_TOKEN_i9j0k1l2";
const WIFI_PASSWORD = "correct-horse-battery";
const SECRETS = [TOKEN1, TOKEN2, ENV_TOKEN, WIFI_PASSWORD];

let dir: string;
let vb: Board;
let repl: ReplServer;
let fw: string;

function writeConfig(name: string, o: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({
    board: "esp32", wifiSsid: "TestNet", wifiPassword: WIFI_PASSWORD, host: "localhost", port: 8883,
    accessToken: TOKEN1, telemetryIntervalMs: 1000, serverCert: "certs/server.pem", ...o,
  }));
  return file;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-flash-repro-"));
  generateSelfSigned({ host: "localhost", outDir: join(dir, "certs") });
  writeConfig("dev1.json", {});
  writeConfig("dev2.json", { accessToken: TOKEN2 });
  fw = join(dir, "out", "firmware.js");
  vb = createBoard({ engine: "node", board: "esp32", storageDir: join(dir, "board"), ap: { ssid: "TestNet", password: WIFI_PASSWORD } });
  vb.boot();
  repl = await startRepl(vb);
});

after(async () => {
  await repl?.close();
  await vb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs flash.sh as a user would; `env` adds to the environment (TB_* variables). */
function flash(config: string, env: Record<string, string> = {}, file = fw): Promise<RunResult> {
  return run("bash", [join(ROOT, "flash.sh"), "--port", repl.url, "--config", join(dir, config), "--file", file],
    { cwd: dir, env: { ...process.env, NO_COLOR: "1", ...env }, limitMs: 90_000 });
}

/** The one line that says why it (re)built, or undefined when it did not. */
function rebuildLine(r: RunResult): string | undefined {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const said = r.stdout + r.stderr;
  for (const s of SECRETS) assert.ok(!said.includes(s), "a secret was printed in full");
  const lines = r.stdout.split("\n").filter((l) => /^I flash: (re)?building /.test(l));
  assert.ok(lines.length <= 1, r.stdout);
  return lines[0];
}

const certDer = (file: string) => new X509Certificate(readFileSync(file)).raw.toString("base64");

test("first flash builds; the bundle records its inputs by digest, the file beside it names the parts and holds no secret", async () => {
  const r = await flash("dev1.json");
  assert.equal(rebuildLine(r), `I flash: building ${fw}: it does not exist`);
  const code = readFileSync(fw, "latin1");
  assert.match(code.slice(0, code.indexOf("\n")), /^\/\/ tb-espruino-device \d+\.\d+\.\d+ board=esp32 inputs=[0-9a-f]{16}$/);
  assert.equal(await vb.readFile(".bootcde"), code);
  const record = readFileSync(inputsFileFor(fw), "utf8");
  assert.equal(JSON.parse(record).digest, /inputs=([0-9a-f]+)/.exec(code)![1]);
  for (const s of SECRETS) assert.ok(!record.includes(s), "no secret in the inputs file");
  assert.ok(code.includes(TOKEN1), "the bundle embeds dev1's token");
});

test("no config to build from: the bundle is flashed as it is, said so with the config's problem, never called up to date", async () => {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete env.TB_CONFIG;
  // No --config and no device.config.json where flash runs.
  const r = await run("bash", [join(ROOT, "flash.sh"), "--port", repl.url, "--file", fw], { cwd: dir, env, limitMs: 90_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(rebuildLine(r), undefined);
  assert.doesNotMatch(r.stdout, /is up to date/);
  const said = r.stdout.split("\n").filter((l) => l.startsWith("W flash: no config to build from"));
  assert.equal(said.length, 1, r.stdout);
  assert.match(said[0]!, /device\.config\.json/, "names the config it looked for");
  assert.ok(said[0]!.endsWith(`; flashing ${fw} as it is, built from ${join(dir, "dev1.json")}`), said[0]);
});

test("no config and a file that names no board: one line saying to pass --board, no stack trace", async () => {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete env.TB_CONFIG;
  const other = join(dir, "other.js");
  writeFileSync(other, "print(1);\n");
  const r = await run("bash", [join(ROOT, "flash.sh"), "--port", repl.url, "--file", other], { cwd: dir, env, limitMs: 60_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.match(r.stderr, new RegExp(`^E flash: no config to build from \\(.*device\\.config\\.json.*\\), and ${other.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} names no board on its first line: pass --board esp32, esp32c3 or esp32s3`, "m"));
});

test("the same inputs again: not rebuilt, whatever the file dates say", async () => {
  const before = readFileSync(fw, "latin1");
  // A source file newer than the bundle no longer means anything: only content counts.
  const touched = new Date(Date.now() + 60_000);
  utimesSync(join(dir, "dev1.json"), touched, touched);
  const r = await flash("dev1.json");
  assert.equal(rebuildLine(r), undefined);
  assert.match(r.stdout, new RegExp(`^I flash: ${fw.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is up to date$`, "m"));
  assert.doesNotMatch(r.stdout, /^I build:/m);
  assert.equal(readFileSync(fw, "latin1"), before);
});

test("another config file: rebuilt, naming both files and the setting that differs; the board gets dev2's token", async () => {
  const r = await flash("dev2.json");
  assert.equal(rebuildLine(r), `I flash: rebuilding ${fw}: it was built from other inputs (config dev1.json -> dev2.json; accessToken changed)`);
  const stored = (await vb.readFile(".bootcde"))!;
  assert.ok(stored.includes(TOKEN2) && !stored.includes(TOKEN1), "the second board got dev2's token");
});

test("a new server certificate at the same path: rebuilt, and the board embeds the new one", async () => {
  const old = certDer(join(dir, "certs", "server.pem"));
  generateSelfSigned({ host: "localhost", outDir: join(dir, "certs") });
  const now = certDer(join(dir, "certs", "server.pem"));
  assert.notEqual(now, old);
  const r = await flash("dev2.json");
  assert.equal(rebuildLine(r), `I flash: rebuilding ${fw}: it was built from other inputs (the server certificate changed)`);
  const stored = (await vb.readFile(".bootcde"))!;
  assert.ok(stored.includes(now) && !stored.includes(old));
});

test("a file added under src/: rebuilt, naming it", async () => {
  // A file the firmware does not import: the build's output stays the same, its inputs do not.
  const name = `.flash-reproducible-${process.pid}.txt`;
  const stray = join(ROOT, "src", name);
  writeFileSync(stray, "test file: deleted when the test ends\n");
  try {
    const r = await flash("dev2.json");
    assert.equal(rebuildLine(r), `I flash: rebuilding ${fw}: it was built from other inputs (src/${name} added)`);
  } finally {
    rmSync(stray, { force: true });
  }
});

test("TB_ACCESS_TOKEN set for one flash: rebuilt with it, and it is never printed", async () => {
  const r = await flash("dev2.json", { TB_ACCESS_TOKEN: ENV_TOKEN });
  // The src/ file of the previous test is gone again: that counts as a change too.
  assert.match(rebuildLine(r) ?? "", new RegExp(`^I flash: rebuilding \\S+: it was built from other inputs \\(accessToken changed; src/\\.flash-reproducible-\\d+\\.txt removed\\)$`));
  const stored = (await vb.readFile(".bootcde"))!;
  assert.ok(stored.includes(ENV_TOKEN) && !stored.includes(TOKEN2));
  // And the same variable again is the same inputs.
  assert.equal(rebuildLine(await flash("dev2.json", { TB_ACCESS_TOKEN: ENV_TOKEN })), undefined);
});

test("staleReason: missing, no record of inputs, another board, other inputs with and without the parts file", () => {
  const file = join(dir, "stale", "firmware.js");
  const load = (env: Record<string, string> = {}) => loadDeviceConfig({ file: join(dir, "dev1.json"), env });
  const inputs = (env: Record<string, string> = {}) => { const l = load(env); return firmwareInputs({ config: l.config, configFile: l.file }); };
  const now = inputs();
  assert.equal(staleReason(file, now, "esp32"), "it does not exist");
  mkdirSync(join(dir, "stale"));
  writeFileSync(file, "// tb-espruino-device 0.1.0 board=esp32\nprint(1);\n");
  assert.equal(staleReason(file, now, "esp32"), "it does not record what it was built from (an older build)");
  writeFileSync(file, preambleLine("0.1.0", "esp32", now.digest) + "\nprint(1);\n");
  assert.equal(staleReason(file, now, "esp32"), undefined);
  assert.equal(staleReason(file, now, "esp32c3"), "it was built for esp32, not esp32c3");
  // The effective config counts, TB_* variables applied: the same file, another token.
  const other = inputs({ TB_ACCESS_TOKEN: ENV_TOKEN });
  assert.notEqual(other.digest, now.digest);
  assert.equal(staleReason(file, other, "esp32"), "it was built from other inputs");
  writeInputsFile(file, now);
  assert.equal(staleReason(file, other, "esp32"), "it was built from other inputs (accessToken changed)");
});

test("describeChange names settings, the certificate, the version, the board file and each file", () => {
  const was = { digest: "a", configFile: "/x/dev1.json", parts: { "config.host": "1", "config.keys": "1", "config.tlsHeap": "1", certificate: "1", version: "1", board: "1", "tools/bundler/build.ts": "1", "src/main.ts": "1" } };
  const now = { digest: "b", configFile: "/y/dev1.json", parts: { "config.host": "2", "config.keys": "2", "config.tlsHeap": "2", certificate: "2", version: "2", board: "2", "tools/bundler/build.ts": "2", "src/main.ts": "1", "src/new.ts": "1" } };
  assert.equal(describeChange(was, now), "config /x/dev1.json -> /y/dev1.json; host and temperatureKey/humidityKey changed; " +
    "the server certificate changed; the version in package.json changed; the board's board/*.json changed; " +
    "tools/bundler/build.ts changed; src/new.ts added");
});

/** Every file below `d` with its size, time and digest: what "untouched" means. */
function snapshot(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { recursive: true, withFileTypes: false }).map(String).sort().map((f) => {
    const p = join(d, f);
    const st = statSync(p);
    return st.isDirectory() ? `${f}/` : `${f} ${st.size} ${st.mtimeMs} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`;
  });
}

test("npm start builds and makes its certificate under .vboard/ only; a flash afterwards uses the user's certificate and port", { timeout: 180_000 }, async () => {
  // The configured port is taken, so the demo builds for another one; the certificate does not exist yet.
  const busy: Server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => busy.once("listening", r));
  const port = (busy.address() as AddressInfo).port;
  const config = writeConfig("demo.json", { port, serverCert: "demo-certs/server.pem" });
  const dist = snapshot(join(ROOT, "dist"));
  const certs = snapshot(join(ROOT, "certs"));
  let out = "";
  try {
    const child = spawn("npm", ["start", "--", "--seconds", "3", "--page-port", "0", "--storage", join(dir, "demo-board")], {
      cwd: ROOT, env: { ...process.env, TB_CONFIG: config }, stdio: ["ignore", "pipe", "pipe"], detached: true,
    });
    child.stdout!.on("data", (d) => { out += d; });
    child.stderr!.on("data", (d) => { out += d; });
    const limit = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 90_000);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    clearTimeout(limit);
    assert.equal(code, 0, out);
  } finally {
    await new Promise((r) => busy.close(r));
  }
  assert.match(out, /^I start: \S*\/demo-certs\/server\.pem is missing: made a throw-away RSA-2048 certificate for localhost in \S*\.vboard\/certs\/demo-\w+ for the demo alone/m);
  const moved = new RegExp(`port ${port} is taken on this machine: the local endpoint listens on (\\d+)`).exec(out);
  assert.ok(moved, out);
  assert.match(out, /^I build: \.vboard\/firmware\.js: [\d,]+ bytes/m);
  assert.match(out, /^I start: booting \.vboard\/firmware\.js on a virtual esp32/m);
  assert.doesNotMatch(out, /dist\//);
  assert.deepEqual(snapshot(join(ROOT, "dist")), dist, "dist/ is untouched");
  assert.deepEqual(snapshot(join(ROOT, "certs")), certs, "certs/ is untouched");
  assert.ok(!existsSync(join(dir, "demo-certs")), "nothing was written beside the config");
  const demoBundle = readFileSync(join(ROOT, ".vboard", "firmware.js"), "latin1");
  const demoCert = /atob\("([A-Za-z0-9+/]{400,}={0,2})"\)/.exec(demoBundle);
  assert.ok(demoCert, "the demo's bundle embeds its throw-away certificate");

  // The user makes the real certificate and flashes: the board gets it and the configured port.
  generateSelfSigned({ host: "localhost", outDir: join(dir, "demo-certs") });
  const userFw = join(dir, "out", "user.js");
  const r = await flash("demo.json", {}, userFw);
  assert.equal(rebuildLine(r), `I flash: building ${userFw}: it does not exist`);
  const stored = (await vb.readFile(".bootcde"))!;
  assert.notEqual(stored, demoBundle);
  assert.ok(stored.includes(certDer(join(dir, "demo-certs", "server.pem"))), "the user's certificate");
  assert.ok(!stored.includes(demoCert[1]!), "not the demo's");
  // From a reset, as the board starts it from now on (the earlier flashes left its Wi-Fi joined).
  const from = vb.output.length;
  vb.reboot();
  await vb.waitFor(new RegExp(`tb_mqtt: connecting to mqtts://localhost:${port} `), 10_000, from);
  assert.ok(!vb.output.slice(from).includes(`localhost:${moved[1]} `), "not the demo's port");
});
