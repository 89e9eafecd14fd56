// End to end: the real `bash flash.sh` (and so the real espruino CLI) against a virtual board's TCP
// REPL: builds the stale bundle, stores it in .bootcde, checks it with the board, monitors with
// --monitor; after a virtual reset the firmware runs from Storage and publishes to the local endpoint.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT } from "../tools/common/board.ts";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { createBoard } from "../tools/vboard/index.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { startRepl, type ReplServer } from "../tools/vboard/repl.ts";
import { until } from "./helpers/wait.ts";

const TOKEN = "TEST_TOKEN_123";
const DEV = "dev1";

let dir: string;
let ep: TbEndpoint;
let configFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-flash-e2e-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: [{ name: DEV, token: TOKEN }], tls: cert, http: false });
  configFile = join(dir, "device.config.json");
  writeFileSync(configFile, JSON.stringify({
    board: "esp32", wifiSsid: "TestNet", wifiPassword: "correct-horse", host: "localhost", port: ep.ports.tls,
    accessToken: TOKEN, telemetryIntervalMs: 1000, logLevel: "info", serverCert: cert.certPath,
  }));
});

after(async () => {
  await ep?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs flash.sh; `onStderr` may answer (e.g. leave the monitor). Killed after limitMs. */
function flashSh(args: string[], o: { limitMs?: number; onOutput?: (stdout: string, stderr: string, stdin: NodeJS.WritableStream) => void } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn("bash", [join(ROOT, "flash.sh"), ...args], { cwd: dir, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    const seen = () => o.onOutput?.(stdout, stderr, child.stdin);
    child.stdout.on("data", (d) => { stdout += d; seen(); });
    child.stderr.on("data", (d) => { stderr += d; seen(); });
    const limit = setTimeout(() => child.kill(), o.limitMs ?? 40_000);
    child.on("close", (code) => { clearTimeout(limit); resolve({ code, stdout, stderr }); });
  });
}

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("flash builds the missing bundle, stores it, the board confirms, --monitor follows; a reset runs it and it publishes", async () => {
    // The real interpreter's REPL for the CLI is its own telnet server (port 2323).
    const vb = createBoard({ engine, board: "esp32", storageDir: join(dir, "board-" + engine), ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: 5, telnet: true });
    vb.boot();
    let repl: ReplServer | undefined;
    try {
      repl = await startRepl(vb);
      const file = join(dir, "out-" + engine, "firmware.js");
      let left = false;
      const r = await flashSh(["--port", repl.url, "--file", file, "--config", configFile, "--monitor"], {
        onOutput: (stdout, stderr, stdin) => {
          // Leave the monitor (Ctrl-]) once it shows the running firmware's log.
          const done = stdout.indexOf("I flash: done");
          if (!left && /leave with Ctrl-\], Ctrl-C goes to the board/.test(stderr) && done >= 0 && /\n[EWI] \(\d+\) \w+: /.test(stdout.slice(done))) {
            left = true;
            stdin.write("\x1d");
          }
        },
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^I build: .*firmware\.js: [\d,]+ bytes .* budget for esp32$/m);
      assert.match(r.stdout, /^I flash: building \S*firmware\.js: it does not exist$/m);
      assert.match(r.stdout, /^I flash: Espruino 2v29 \(ESP32\) answered on tcp:\/\/127\.0\.0\.1:\d+; uploading/m);
      assert.match(r.stdout, /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m);
      assert.match(r.stderr, /--- monitor on tcp:\/\/127\.0\.0\.1:\d+; leave with Ctrl-\], Ctrl-C goes to the board, Ctrl-T H: help ---/);
      assert.ok(left, "the monitor showed the firmware's log");
      const code = readFileSync(file, "latin1");
      assert.match(code, /^\/\/ tb-espruino-device \S+ board=esp32 inputs=[0-9a-f]{16}\n/);
      assert.equal(await vb.readFile(".bootcde"), code, ".bootcde holds exactly the bundle");
      assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN), "the access token is never printed in full");

      // Survives a reset: the firmware starts from Storage and publishes to the endpoint.
      const from = vb.output.length;
      const before = ep.telemetry(DEV).length;
      vb.reboot();
      await vb.waitFor(/^I \(\d+\) app: \[APP\] Startup\.\. /, 5000, from);
      vb.stepClock();
      await until("telemetry from the flashed firmware", () => ep.telemetry(DEV).length > before, 15_000);
    } finally {
      await repl?.close();
      await vb.stop();
    }
  });
});

