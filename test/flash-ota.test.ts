// Flash and the board's secret Storage files (docs/ota.md §1): the real `bash flash.sh` against a
// virtual board's console over tcp://. A config with "ota": true makes the key file beside it (0600) and
// the board's .tbkey holds exactly its 64 hex characters, never printed; --forget-token erases .tbtoken,
// with the upload or alone (then restarting the firmware, uploading nothing).
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT } from "../tools/common/board.ts";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { keyFileFor } from "../tools/ota/key.ts";
import { createBoard, type Board } from "../tools/vboard/index.ts";
import { startRepl, type ReplServer } from "../tools/vboard/repl.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { run, type RunResult } from "./helpers/run.ts";

const TOKEN = "FLASH_OTA_TOKEN_q1w2e3";
const PROVISIONED = "PROVISIONED_r4t5y6u7i8";
const WIFI_PASSWORD = "flash-ota-horse";

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-flash-ota-"));
  generateSelfSigned({ host: "localhost", outDir: join(dir, "certs") });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, o: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({
    board: "esp32", wifiSsid: "TestNet", wifiPassword: WIFI_PASSWORD, host: "localhost", port: 8883,
    accessToken: TOKEN, telemetryIntervalMs: 1000, serverCert: "certs/server.pem", ...o,
  }));
  return file;
}

function flash(args: string[]): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TB_")) env[k] = v;
  return run("bash", [join(ROOT, "flash.sh"), ...args], { cwd: dir, env, limitMs: 120_000 });
}

function ok(r: RunResult): string {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const said = r.stdout + r.stderr;
  for (const s of [TOKEN, PROVISIONED, WIFI_PASSWORD]) assert.ok(!said.includes(s), "a secret was printed");
  return said;
}

test("--forget-token with --install-espruino is refused in one line", async () => {
  const r = await flash(["--port", "/dev/ttyUSB0", "--install-espruino", "x.tgz", "--forget-token"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.equal(r.stderr.trim(), "E flash: --forget-token erases a file in the interpreter's Storage, which --install-espruino does not touch: " +
    "install first, then run npm run flash -- --port PORT --forget-token");
});

test("flash --help names --forget-token and the update key", async () => {
  const r = await flash(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /\[--forget-token\]/);
  assert.match(r.stdout, /"ota": true also writes the update key to the board's Storage \.tbkey/);
  assert.match(r.stdout, /--forget-token erases Storage \.tbtoken/);
});

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  let vb: Board;
  let repl: ReplServer;
  const fw = () => join(dir, `out-${engine}`, "firmware.js");

  /** Runs `fn` on a board of its own that powers on with `files` in Storage, and stops it after. */
  async function onFreshBoard(name: string, files: Record<string, string>, fn: (b: Board, url: string) => Promise<void>): Promise<void> {
    const b = createBoard({ engine, board: "esp32", storageDir: join(dir, `${name}-${engine}`), ap: { ssid: "TestNet", password: WIFI_PASSWORD }, telnet: true });
    for (const [f, data] of Object.entries(files)) b.writeFile(f, data);
    b.boot();
    let r: ReplServer | undefined;
    try {
      r = await startRepl(b);
      for (const [f, data] of Object.entries(files)) assert.equal(await b.readFile(f), data, `the board holds ${f}`);
      await fn(b, r.url);
    } finally {
      await r?.close();
      await b.stop();
    }
  }

  before(async () => {
    vb = createBoard({ engine, board: "esp32", storageDir: join(dir, "board-" + engine), ap: { ssid: "TestNet", password: WIFI_PASSWORD }, telnet: true });
    vb.boot();
    repl = await startRepl(vb);
  });
  after(async () => {
    await repl?.close();
    await vb?.stop();
  });

  test("\"ota\": true makes the key file (0600) beside the config and the board's .tbkey holds its 64 hex characters; the key is never printed", async () => {
    const config = writeConfig(`ota-${engine}.json`, { ota: true });
    const keyFile = keyFileFor(config);
    assert.ok(!existsSync(keyFile));
    const r = await flash(["--port", repl.url, "--config", config, "--file", fw()]);
    const said = ok(r);
    const text = readFileSync(keyFile, "latin1");
    assert.match(text, /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(await vb.readFile(".tbkey"), text.trimEnd(), ".tbkey holds the key file's 64 hex characters");
    assert.equal(await vb.readFile(".bootcde"), readFileSync(fw(), "latin1"));
    assert.ok(!said.includes(text.trim()) && !said.includes(text.trim().slice(0, 16)), "the key is never printed");
    assert.match(r.stdout, new RegExp(`^I flash: made the update key ${keyFile.replace(/[.]/g, "\\.")} \\(mode 0600, ignored by git\\) for \\.tbkey: `, "m"));
    assert.match(r.stdout, /^I flash: Espruino \S+ \(\w+\) answered on tcp:\/\/127\.0\.0\.1:\d+; uploading [\d,]+ bytes into Storage \.bootcde, and (.+, )?\.tbkey \(the update key\)$/m);
    assert.match(r.stdout, /^I flash: done: esp32 stored \d+ bytes in \.bootcde \(and (.+, )?\.tbkey\)/m);
    // Nothing of the key is left in a temp folder.
    assert.ok(!said.includes("tb-flash-storage-"));

    // Flashed again: the same key, not a new one, and no "made" line.
    const again = await flash(["--port", repl.url, "--config", config, "--file", fw()]);
    ok(again);
    assert.equal(readFileSync(keyFile, "latin1"), text);
    assert.equal(await vb.readFile(".tbkey"), text.trimEnd());
    assert.doesNotMatch(again.stdout, /made the update key/);

    // A key file others may read: one warning, and it still goes to the board.
    writeFileSync(keyFile, "ab".repeat(32) + "\n");
    chmodSync(keyFile, 0o644);
    const open = await flash(["--port", repl.url, "--config", config, "--file", fw()]);
    ok(open);
    assert.match(open.stderr, /^W flash: \S+ota-key can be read or written by others \(mode 0644\): .*chmod 600 /m);
    assert.equal(await vb.readFile(".tbkey"), "ab".repeat(32));
    // A damaged one stops the flash before the board is touched.
    writeFileSync(keyFile, "not a key\n");
    const bad = await flash(["--port", repl.url, "--config", config, "--file", fw()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^E flash: \S+ota-key holds 9 character\(s\) where the key is 64 hex characters and a newline: /m);
    assert.doesNotMatch(bad.stdout, /answered on/);
    assert.equal(await vb.readFile(".tbkey"), "ab".repeat(32));
  });

  test("a config without \"ota\" gets no key file and writes no .tbkey", async () => {
    const config = writeConfig(`plain-${engine}.json`, {});
    const r = await flash(["--port", repl.url, "--config", config, "--file", fw()]);
    ok(r);
    assert.ok(!existsSync(keyFileFor(config)));
    assert.doesNotMatch(r.stdout, /\.tbkey/);
  });

  test("--forget-token with --config erases .tbtoken before the upload, in one line", async () => {
    const config = writeConfig(`forget-${engine}.json`, {});
    await onFreshBoard("forget-upload", { ".tbtoken": PROVISIONED }, async (b, url) => {
      const r = await flash(["--port", url, "--config", config, "--file", fw(), "--forget-token"]);
      ok(r);
      assert.equal(await b.readFile(".tbtoken"), undefined);
      const lines = r.stdout.split("\n").filter((l) => l.includes(".tbtoken"));
      assert.deepEqual(lines, [`I flash: erased .tbtoken on ${url}, the token the board got by provisioning: the firmware uploaded now provisions again when it starts`]);
      assert.match(r.stdout, /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m);
      assert.equal(await b.readFile(".bootcde"), readFileSync(fw(), "latin1"));
    });
  });

  test("--forget-token alone erases .tbtoken and restarts the firmware, uploading nothing; with no token it says there is nothing to forget", async () => {
    // A program of its own, whose restart shows on the console.
    const program = 'print("started from .bootcde");';
    await onFreshBoard("forget-alone", { ".bootcde": program, ".tbtoken": PROVISIONED }, async (b, url) => {
      await b.waitFor(/^started from \.bootcde$/, 10_000);
      const from = b.output.length;
      const r = await flash(["--port", url, "--forget-token"]);
      ok(r);
      assert.equal(r.stdout.trim(), `I flash: erased .tbtoken on ${url}, the token the board got by provisioning: restarted the firmware (load()), which provisions again`);
      assert.equal(await b.readFile(".tbtoken"), undefined);
      assert.equal(await b.readFile(".bootcde"), program, "nothing uploaded");
      await b.waitFor(/^started from \.bootcde$/, 10_000, from);

      const none = await flash(["--port", url, "--forget-token"]);
      ok(none);
      assert.equal(none.stdout.trim(), `I flash: ${url} holds no .tbtoken (no token from provisioning): nothing to forget`);
    });
  });
});
