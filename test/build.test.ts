// npm run build as a user runs it, and the build's refusals (gate, budget).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { assertWithinBudget, BuildError, buildFirmware } from "../tools/build/build.ts";
import { typescriptTranspile } from "../rollup.config.js";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { run } from "./helpers/run.ts";

const execFileP = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "test", "fixtures", "build");
let dir: string;
let certPath: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-build-"));
  certPath = generateSelfSigned({ host: "localhost", outDir: dir }).certPath;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("npm run build with the example config writes dist/firmware.js and prints the size line", async () => {
  const out = join(dir, "firmware.js");
  const { stdout } = await execFileP("npm", ["run", "-s", "build", "--", "--out", out], {
    cwd: ROOT,
    env: { ...process.env, TB_CONFIG: join(ROOT, "device.config.example.json"), TB_SERVER_CERT: certPath },
  });
  assert.match(stdout, /^I build: .*firmware\.js: [\d,]+ bytes \(gzip [\d,]+\), \d+% of the [\d,]+-byte budget for esp32$/m);
  const code = readFileSync(out, "latin1");
  assert.ok(code.length > 1000);
  // The project's budget (issue 4): the whole firmware, certificate included, within 10 KB as shipped.
  assert.ok(code.length <= 10240, `dist/firmware.js for the example config is ${code.length} bytes, over 10 KB: ` +
    "npm run bench -- size shows which module grew");
  assert.ok(code.includes("require(\"Wifi\")"), "Wi-Fi comes from the board's built-in module");
});

test("npm run build with an unknown option says so in one line, with the usage, and no stack trace", async () => {
  const r = await run("npm", ["run", "-s", "build", "--", "--bogus"], { cwd: ROOT });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "E build: Unknown option '--bogus'\nusage: npm run build [-- --config device.config.json] [--out dist/firmware.js]");
});

test("the gate stops a bundle Espruino would reject, naming the source line, and writes nothing", async () => {
  const out = join(dir, "bad.js");
  const configFile = join(ROOT, "device.config.example.json");
  await assert.rejects(
    buildFirmware({ configFile, env: { TB_SERVER_CERT: certPath }, outFile: out, input: join(FIXTURES, "default-param.ts"), tsconfig: join(FIXTURES, "tsconfig.json") }),
    (e: unknown) => {
      assert.ok(e instanceof BuildError);
      assert.match(e.message, /default-param\.ts:3:\d+ \[default-params\]/);
      assert.match(e.message, /the bundle was not written/);
      return true;
    },
  );
  assert.equal(existsSync(out), false);
});

test("a type error in the firmware fails the build with TypeScript's message, and nothing keeps running", async () => {
  const out = join(dir, "typed.js");
  await assert.rejects(
    buildFirmware({ configFile: join(ROOT, "device.config.example.json"), env: { TB_SERVER_CERT: certPath }, outFile: out,
      input: join(FIXTURES, "type-error", "main.ts"), tsconfig: join(FIXTURES, "type-error", "tsconfig.json") }),
    (e: unknown) => {
      assert.ok(e instanceof BuildError);
      assert.match(e.message, /^E tsc: test\/fixtures\/build\/type-error\/main\.ts:2:7 TS2322: Type 'string' is not assignable to type 'number'\.$/m);
      return true;
    },
  );
  assert.equal(existsSync(out), false);
  // A compiler watcher left behind would re-throw the error after the build failed: give it the chance.
  await new Promise((r) => setTimeout(r, 1500));
});

test("a renamed property name used on JSON or on Espruino's API stops the build at the exact line", async () => {
  const out = join(dir, "renamed.js");
  await assert.rejects(
    buildFirmware({ configFile: join(ROOT, "device.config.example.json"), env: { TB_SERVER_CERT: certPath }, outFile: out,
      input: join(FIXTURES, "renamed", "main.ts"), tsconfig: join(FIXTURES, "renamed", "tsconfig.json") }),
    (e: unknown) => {
      assert.ok(e instanceof BuildError);
      const lines = e.message.split("\n");
      const at = (where: string) => lines.find((l) => l.includes(where)) ?? "";
      assert.match(at("main.ts:2:"), /main\.ts:2:31 property "topic" is a key of an object with no declared type \(JSON\?\), but the minifier renames it/);
      assert.match(at("main.ts:3:"), /main\.ts:3:30 property "payload" is read from an untyped value/);
      assert.match(at("main.ts:4:"), /main\.ts:4:17 property "now" belongs to node_modules\/typescript\/lib\/lib\.es5\.d\.ts/);
      assert.match(e.message, /write it as \["now"\] or take the name out of MANGLED_NAMES/);
      // Only the fixture: every use in src/ (also checked here) is the firmware's own.
      assert.equal(lines.filter((l) => l.includes("src/")).length, 0);
      assert.match(lines[lines.length - 1], /^E build: 3 renamed propert/);
      return true;
    },
  );
  assert.equal(existsSync(out), false);
});

test("declarations are shortened only where Espruino runs them the same", () => {
  const plugin = typescriptTranspile(join(ROOT, "tsconfig.json")) as { transform(code: string, id: string): { code: string } };
  const out = plugin.transform([
    "const a: number = 1;",
    "for (const x of [a]) console.log(x);",
    "export function add(x: number, y: number): number { return x + y; }",
    "function self(this: object) { return this; }",
    "function count() { return arguments.length; }",
    "function outer() { return function (this: object) { return this; }; }",
    "export default function main() {}",
  ].join("\n"), join(ROOT, "src", "x.ts")).code;
  assert.match(out, /^let a = 1;$/m);
  assert.match(out, /for \(let x of \[a\]\)/);
  assert.match(out, /^export let add = \(x, y\) => \{ return x \+ y; \};$/m);
  assert.match(out, /^function self\(\) \{ return this; \}$/m, "`this` keeps its function");
  assert.match(out, /^function count\(\) \{ return arguments\.length; \}$/m, "`arguments` keeps its function");
  assert.match(out, /^let outer = \(\) => \{ return function \(\) \{ return this; \}; \};$/m, "a nested function's `this` is its own");
  assert.match(out, /^export default function main\(\) \{ \}$/m);
  assert.doesNotMatch(out, /\bconst\b/);
});

test("a bundle over the board's byte budget fails with the figures and the fix", () => {
  assert.throws(() => assertWithinBudget("dist/firmware.js: 11,000 bytes", 11000, 10240, "esp32c3"), (e: unknown) => {
    assert.ok(e instanceof BuildError);
    assert.match(e.message, /^E size: .*over budget by 760 bytes; trim the firmware, or raise device\.bundleBudgetBytes in board\/esp32c3\.json/);
    return true;
  });
  assert.doesNotThrow(() => assertWithinBudget("x", 10240, 10240, "esp32c3"));
});
