// `npx rollup -c` on its own: the same build as `npm run build` (config, certificate, type check,
// Espruino gate, size budget) and the same bytes in dist/firmware.js. Run in a copy of the project
// (its sources, the real node_modules linked in), so the test writes no dist/ of the working tree.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { run } from "./helpers/run.ts";

const ROOT = join(import.meta.dirname, "..");
let dir: string;
let copy: string;
let env: NodeJS.ProcessEnv;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-rollup-c-"));
  copy = join(dir, "project");
  for (const p of ["src", "tools", "board", "rollup.config.js", "package.json", "package-lock.json", "tsconfig.json"]) {
    cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  const cert = generateSelfSigned({ host: "localhost", outDir: join(dir, "certs") });
  const config = join(dir, "device.config.json");
  writeFileSync(config, readFileSync(join(ROOT, "device.config.example.json")));
  env = { ...process.env, TB_CONFIG: config, TB_SERVER_CERT: cert.certPath };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("npx rollup -c writes dist/firmware.js, byte for byte what npm run build writes, with its inputs on the first line", { timeout: 120_000 }, async () => {
  const r = await run("npx", ["rollup", "-c"], { cwd: copy, env, limitMs: 90_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /^I build: dist\/firmware\.js: [\d,]+ bytes \(gzip [\d,]+\), \d+% of the [\d,]+-byte budget for esp32$/m);
  const code = readFileSync(join(copy, "dist", "firmware.js"), "latin1");
  const first = code.slice(0, code.indexOf("\n"));
  assert.match(first, /^\/\/ tb-espruino-device \d+\.\d+\.\d+ board=esp32 inputs=([0-9a-f]{16})$/);
  assert.equal(JSON.parse(readFileSync(join(copy, "dist", "firmware.inputs.json"), "utf8")).digest, /inputs=(\w+)/.exec(first)![1]);
  assert.ok(!existsSync(join(copy, "dist", "firmware.js.map")), "the gate's source map is not written");
  assert.ok(code.includes('require("Wifi")'));

  const b = await run("npm", ["run", "-s", "build", "--", "--out", join(dir, "built.js")], { cwd: copy, env, limitMs: 90_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.equal(readFileSync(join(dir, "built.js"), "latin1"), code, "the same bundle as npm run build");
});

test("npx rollup -c with a broken config: the build's own lines, no stack trace, nothing written", async () => {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ board: "esp32" }));
  const r = await run("npx", ["rollup", "-c", "-o", join(dir, "bad.js")], { cwd: copy, env: { ...env, TB_CONFIG: bad, NO_COLOR: "1" }, limitMs: 60_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /E config: \S*bad\.json: wifiSsid: is missing/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.ok(!existsSync(join(dir, "bad.js")));
});
