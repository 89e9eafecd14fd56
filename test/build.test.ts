// npm run build as a user runs it, and the build's refusals (gate, budget).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { assertWithinBudget, BuildError, buildFirmware } from "../tools/bundler/build.ts";
import { checkRenamedProperties } from "../tools/bundler/renamed-properties.ts";
import { typecheckFirmware } from "../tools/bundler/typecheck.ts";
import { typescriptTranspile } from "../rollup.config.js";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { run } from "./helpers/run.ts";

const execFileP = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "test", "fixtures", "bundler");
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
  // The derived property names are listed only with --verbose.
  assert.doesNotMatch(stdout, /renamed properties|kept property/);
  const code = readFileSync(out, "latin1");
  assert.ok(code.length > 1000);
  // The project's line: the whole firmware, certificate included, within 11 KB. 10 KB was the goal (issue
  // 4); settings passed in as arguments, sensor failures counted and sent, the Wi-Fi link kept across
  // load() and RAM cuts that spend flash to save JsVars took it to 10.9 KB, and RAM is the scarcer part
  // (README, "Size"). So nothing grows unnoticed.
  assert.ok(code.length <= 11264, `dist/firmware.js for the example config is ${code.length} bytes, over 11 KB: ` +
    "npm run bench -- size shows which module grew");
  assert.ok(code.includes("require(\"Wifi\")"), "Wi-Fi comes from the board's built-in module");
});

test("npm run build --verbose lists the property names it shortened and why it kept the others", async () => {
  const { stdout } = await execFileP("npm", ["run", "-s", "build", "--", "--out", join(dir, "verbose.js"), "--verbose"], {
    cwd: ROOT,
    env: { ...process.env, TB_CONFIG: join(ROOT, "device.config.example.json"), TB_SERVER_CERT: certPath },
  });
  assert.match(stdout, /^I build: renamed properties: \w+( \w+)* \(and the "_" names\)$/m);
  assert.match(stdout, /^I build: kept property \w+: declared by (src\/espruino\.d\.ts|node_modules\/typescript\/lib\/\S+)$/m);
  assert.match(stdout, /^I build: .*verbose\.js: [\d,]+ bytes/m);
});

test("npm run build with an unknown option says so in one line, with the usage, and no stack trace", async () => {
  const r = await run("npm", ["run", "-s", "build", "--", "--bogus"], { cwd: ROOT });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "E build: Unknown option '--bogus'\nusage: npm run build [-- --config device.config.json] [--out dist/firmware.js] [--verbose]");
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
      assert.match(e.message, /^E tsc: test\/fixtures\/bundler\/type-error\/main\.ts:2:7 TS2322: Type 'string' is not assignable to type 'number'\.$/m);
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
      // Declared by the fixture's interface (so derived), and also a key of JSON: the proof names the line.
      assert.match(at("main.ts:12:"), /renamed\/main\.ts:12:31 property "longPropertyName" is a key of an object with no declared type \(JSON\?\), but the minifier renames it/);
      assert.match(at("main.ts:13:"), /main\.ts:13:30 property "payloadText" is read from an untyped value/);
      assert.match(at("main.ts:14:"), /main\.ts:14:9 property "longPropertyName" is read from an untyped value/);
      assert.match(at("main.ts:15:"), /main\.ts:15:28 property "_count" \(test\/fixtures\/bundler\/renamed\/main\.ts:8\) leaves its declared type here/);
      assert.match(at("main.ts:16:"), /main\.ts:16:14 property "_count" \(test\/fixtures\/bundler\/renamed\/main\.ts:8\) is read here from a value of no declared type/);
      assert.match(at("main.ts:17:"), /main\.ts:17:13 property "payloadText" is looked up with `in` on a value that does not declare it/);
      assert.match(e.message, /write it as \["payloadText"\], or mark the interface or type that declares it @json/);
      assert.match(lines[lines.length - 1], /^E build: 6 renamed propert/);
      return true;
    },
  );
  assert.equal(existsSync(out), false);
});

test("the build shortens the member names only the firmware spells, and keeps @json and Espruino's", async () => {
  const out = join(dir, "derived.js");
  const r = await buildFirmware({ configFile: join(ROOT, "device.config.example.json"), env: { TB_SERVER_CERT: certPath }, outFile: out,
    input: join(FIXTURES, "derived", "main.ts"), tsconfig: join(FIXTURES, "derived", "tsconfig.json") });
  const code = readFileSync(out, "latin1");
  assert.ok(r.renamed.names.includes("longPropertyName"), r.renamed.names.join(" "));
  assert.doesNotMatch(code, /longPropertyName/, code);
  assert.match(code, /\{\w{1,2}(:\w+)?,write:/, "the interface member is renamed where the object is made");
  // A @json interface's keys go to the server as written.
  assert.match(code, /\{queueDepthOnWire:/);
  assert.match(r.renamed.kept.get("queueDepthOnWire") ?? "", /^@json at test\/fixtures\/bundler\/derived\/main\.ts:16$/);
  // Declared by Espruino's API too (Storage.write): both calls keep the name.
  assert.equal(code.match(/\.write\(/g)?.length, 2, code);
  assert.equal(r.renamed.kept.get("write"), "declared by src/espruino.d.ts");
  assert.ok(!r.renamed.regex.test("now") && !r.renamed.regex.test("write") && r.renamed.regex.test("_private"));
  assert.match(code, /Date\.now\(\)/);
  // Seen through a narrower type: renamed while that type stays typed, kept when it goes to JSON.
  assert.doesNotMatch(code, /ownerDetail|onEvent/);
  assert.equal(r.renamed.kept.get("sampleLabel"), "leaves its type at test/fixtures/bundler/derived/main.ts:53");
  assert.equal(r.renamed.kept.get("hiddenReading"), "leaves its type at test/fixtures/bundler/derived/main.ts:61");
  assert.match(code, /\{sampleLabel:"s",hiddenReading:3\}/);
});

test("the rename proof rejects an Espruino or standard-library name, whatever list it is given", () => {
  const { program } = typecheckFirmware(join(FIXTURES, "derived", "tsconfig.json"), ROOT);
  const problems = checkRenamedProperties(program!, /^(write|now|longPropertyName)$/, ROOT);
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems[0], /^E build: test\/fixtures\/bundler\/derived\/main\.ts:45:22 property "write" belongs to src\/espruino\.d\.ts, /);
  assert.match(problems[1], /^E build: test\/fixtures\/bundler\/derived\/main\.ts:62:27 property "now" belongs to \S*node_modules\/typescript\/lib\/lib\.es5\.d\.ts, /);
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
