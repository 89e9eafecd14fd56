// Long host steps show where they are on a terminal: `npm run build` its phases (run in a real
// pseudo-terminal through util-linux's `script`), an upload the share of the bundle the espruino CLI
// has written (counted from the CLI's own trace, against a virtual board's TCP REPL). Not on a pipe.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { tracedWrite, upload } from "../tools/flash/upload.ts";
import { VirtualBoard } from "../tools/vboard/index.ts";
import { startRepl } from "../tools/vboard/repl.ts";
import { run } from "./helpers/run.ts";

const ROOT = join(import.meta.dirname, "..");
const TOKEN = "PROGRESS_TOKEN_7q8r9s";
let dir: string;
let bundle: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-progress-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function hasScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("npm run build on a terminal: one status line through its phases, cleared before the size line", { timeout: 120_000 }, async (t) => {
  if (!hasScript()) return t.skip("util-linux's script is not installed");
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  bundle = join(dir, "firmware.js");
  const r = await run("script", ["-qec", `npm run -s build -- --out ${bundle}`, "/dev/null"], {
    cwd: ROOT, limitMs: 90_000,
    env: { ...process.env, TB_CONFIG: join(ROOT, "device.config.example.json"), TB_SERVER_CERT: cert.certPath, TB_ACCESS_TOKEN: TOKEN },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const phases = [...r.stdout.matchAll(/\rI build: ([^\r\x1b]*)\x1b\[K/g)].map((m) => m[1]);
  assert.deepEqual(phases, ["checking the config and the certificate", "type-checking src/", "checking the properties the minifier renames",
    "bundling src/", "minifying", "checking the bundle against Espruino 2v29"]);
  assert.match(r.stdout, /\r\x1b\[KI build: \S+firmware\.js: [\d,]+ bytes/, "cleared, then the size line");
  assert.ok(!r.stdout.includes(TOKEN));
});

test("the CLI's trace: what it queues and what it writes, as JSON strings", () => {
  assert.deepEqual(tracedWrite('serial: ---> "\\u0010reset();\\n\\"x\\""'), { queued: 13 });
  assert.deepEqual(tracedWrite('serial: Sending "ab\\\\c"'), { written: 4 });
  assert.equal(tracedWrite("serial: Splitting for reset(), delay 250"), undefined);
  assert.equal(tracedWrite("Upload Complete"), undefined);
});

test("an upload on a terminal counts up to 100%; on a pipe it writes nothing; either way the board gets the bundle", { timeout: 90_000 }, async (t) => {
  if (!bundle) return t.skip("needs the bundle of the build test");
  const code = readFileSync(bundle, "latin1");
  const vb = new VirtualBoard({ board: "esp32", storageDir: join(dir, "board") });
  vb.boot();
  const repl = await startRepl(vb);
  try {
    const tty = { isTTY: true, columns: 100, out: [] as string[], write(s: string) { this.out.push(s); } };
    await upload({ port: repl.url, baud: 115200, board: "esp32", file: bundle, bytes: code.length, settleMs: 300, progressStream: tty });
    assert.equal(await vb.readFile(".bootcde"), code);
    const shown = tty.out.join("");
    const pcts = [...shown.matchAll(/\rI flash: uploading ([\d,]+) bytes (\d+)%\x1b\[K/g)].map((m) => { assert.equal(m[1], code.length.toLocaleString("en")); return Number(m[2]); });
    assert.ok(pcts.length >= 10, `a count as it goes: ${pcts.join(" ")}`);
    assert.deepEqual(pcts, [...pcts].sort((a, b) => a - b), "it only counts up");
    assert.equal(pcts.at(-1), 100);
    assert.ok(shown.endsWith("\r\x1b[K"), "the line is cleared at the end");
    assert.ok(!shown.includes(TOKEN));

    vb.writeFile(".bootcde", "");
    const pipe = { isTTY: false, out: [] as string[], write(s: string) { this.out.push(s); } };
    await upload({ port: repl.url, baud: 115200, board: "esp32", file: bundle, bytes: code.length, settleMs: 300, progressStream: pipe });
    assert.equal(await vb.readFile(".bootcde"), code);
    assert.deepEqual(pipe.out, []);
  } finally {
    await repl.close();
    await vb.stop();
  }
});
