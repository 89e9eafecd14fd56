// The Espruino compatibility gate (tools/build/gate): fixture pairs per rule, source mapping through
// real rollup + TypeScript + terser output, and bad input.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import terserModule from "@rollup/plugin-terser";
import typescriptModule from "@rollup/plugin-typescript";
import { rollup, type SourceMap } from "rollup";
import { GATE_RULES, checkBundle, formatViolation, type GateViolation } from "../tools/build/gate/index.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = join(ROOT, "test", "fixtures", "gate");
const BUILTIN: string[] = JSON.parse(readFileSync(join(ROOT, "board", "esp32.json"), "utf8")).info.builtin_modules;
// Under NodeNext these CJS-typed packages type their default import as the module namespace.
const terser = ((terserModule as { default?: unknown }).default ?? terserModule) as typeof terserModule.default;
const typescript = ((typescriptModule as { default?: unknown }).default ?? typescriptModule) as typeof typescriptModule.default;
const EXPECT_MARK = "// <- violation";

function gate(code: string, sourceMap?: SourceMap): GateViolation[] {
  return checkBundle(code, { builtinModules: BUILTIN, sourceMap });
}

function show(vs: GateViolation[]): string {
  return vs.map(formatViolation).join("\n");
}

/** Same terser settings the firmware build uses (rollup.config.js): ES2020 syntax, mangled top level. */
function firmwareTerser() {
  return terser({
    ecma: 2020,
    toplevel: true,
    compress: { ecma: 2015, passes: 2, hoist_funs: false, hoist_vars: false, keep_fargs: true },
    mangle: { toplevel: true },
    format: { comments: false },
  });
}

async function bundle(dir: string, entry: string): Promise<{ code: string; map: SourceMap }> {
  const root = join(FIXTURES, dir);
  const plugins = entry.endsWith(".ts")
    ? [
        typescript({
          tsconfig: false,
          include: [join(root, "*.ts")],
          compilerOptions: {
            target: "ES2020",
            module: "ESNext",
            moduleResolution: "bundler",
            useDefineForClassFields: false,
            sourceMap: true,
            strict: true,
            lib: ["ES2020"],
            types: [],
            skipLibCheck: true,
          },
        }),
      ]
    : [];
  const warnings: string[] = [];
  const b = await rollup({ input: join(root, entry), plugins, onwarn: (w) => void warnings.push(w.message) });
  try {
    const { output } = await b.generate({ format: "iife", strict: false, sourcemap: true, plugins: [firmwareTerser()] });
    assert.deepEqual(warnings, [], "fixture bundles build without warnings");
    const chunk = output[0];
    assert.ok(chunk.map, "rollup produced a source map");
    return { code: chunk.code, map: chunk.map };
  } finally {
    await b.close();
  }
}

test("GATE_RULES lists every rule of the brief once, parse included", () => {
  const expected = [
    "parse", "default-params", "rest-params", "spread", "destructuring", "computed-keys", "exponent",
    "optional-chaining", "async-await", "generators", "labels", "class-fields", "extends-error",
    "module-syntax", "banned-globals", "banned-members", "builtin-prototype", "require",
    "for-let-closure", "use-before-define",
  ];
  assert.deepEqual([...GATE_RULES].sort(), [...expected].sort());
  assert.ok(Object.isFrozen(GATE_RULES));
});

test("every fixture file belongs to a rule id", () => {
  const stray = readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".js"))
    .filter((f) => !GATE_RULES.includes(f.replace(/\.(bad|good)\.js$/, "")));
  assert.deepEqual(stray, []);
});

for (const rule of GATE_RULES) {
  test(`rule ${rule}: the bad fixture is caught on its marked lines, its compliant twin passes`, () => {
    const badPath = join(FIXTURES, `${rule}.bad.js`);
    const goodPath = join(FIXTURES, `${rule}.good.js`);
    assert.ok(existsSync(badPath), `missing fixture ${badPath}`);
    assert.ok(existsSync(goodPath), `missing fixture ${goodPath}`);

    const bad = readFileSync(badPath, "utf8");
    const expectedLines = bad
      .split("\n")
      .flatMap((text, i) => (text.includes(EXPECT_MARK) ? [i + 1] : []));
    assert.ok(expectedLines.length > 0, `${rule}.bad.js marks no line with "${EXPECT_MARK}"`);
    const found = gate(bad).filter((v) => v.rule === rule);
    const foundLines = [...new Set(found.map((v) => v.line))].sort((a, b) => a - b);
    assert.deepEqual(foundLines, expectedLines, show(found));
    for (const v of found) {
      assert.ok(!v.message.includes("\n") && !v.message.includes("\u27e6"), `one resolved line: ${v.message}`);
      assert.ok(v.message.length > 40, `message explains itself: ${v.message}`);
    }

    const good = gate(readFileSync(goodPath, "utf8"));
    assert.deepEqual(good, [], show(good));
  });
}

test("source map: a violation in a TypeScript module is reported at its src/ line, with original names", async () => {
  const { code, map } = await bundle("mapped", "main.ts");
  assert.ok(code.includes("**"), "terser kept the exponent (the point of this fixture)");
  const vs = gate(code, map);

  const exp = vs.find((v) => v.rule === "exponent");
  assert.ok(exp, show(vs));
  assert.equal(exp.line, 1, "the minified bundle is one line");
  assert.ok(exp.source, "mapped back");
  assert.match(exp.source.file, /(^|\/)backoff\.ts$/);
  assert.equal(exp.source.line, 4);
  assert.match(formatViolation(exp), /^E gate: \S*backoff\.ts:4:\d+ \[exponent\] /);

  // `report()` runs before `const startedAt` exists: both names come back unminified from the map.
  const early = vs.filter((v) => v.rule === "use-before-define");
  assert.deepEqual(early.map((v) => v.source?.line), [14, 15], show(vs));
  assert.ok(early.every((v) => v.source?.file.endsWith("main.ts")));
  assert.match(early[0]!.message, /`report`.*`startedAt` \(at \S*main\.ts:17:\d+\).*`const startedAt` at \S*main\.ts:19:\d+/);
  assert.equal(vs.length, 3, show(vs));

  // The same bundle without its map still names the place, in the bundle.
  const unmapped = gate(code);
  assert.equal(unmapped.length, 3);
  assert.ok(unmapped.every((v) => v.source === undefined));
  assert.match(formatViolation(unmapped[0]!), /^E gate: bundle:1:\d+ \[/);
});

test("real terser output of compliant TypeScript passes (classes, getters, arrows, templates, ??, sequences, IIFE)", async () => {
  const { code, map } = await bundle("compliant", "main.ts");
  // Shapes that a naive gate would trip over must really be in the output.
  for (const shape of ["!function(){", "=>", "`", "??", "get ", "class ", "extends ", "super(", ",t.phase="]) {
    assert.ok(code.includes(shape), `expected ${JSON.stringify(shape)} in terser output:\n${code}`);
  }
  const vs = gate(code, map);
  assert.deepEqual(vs, [], show(vs));
});

test("real terser output of compliant ES5-style code passes (var f = function, prototypes, module IIFE)", async () => {
  const { code, map } = await bundle("legacy", "main.js");
  assert.match(code, /=function\(/);
  assert.match(code, /\.prototype\./);
  const vs = gate(code, map);
  assert.deepEqual(vs, [], show(vs));
});

test("bad input: an unparseable bundle is a parse violation, not an exception", () => {
  const vs = gate("var ok = 1;\nvar broken = {;\n");
  assert.equal(vs.length, 1, show(vs));
  assert.equal(vs[0]!.rule, "parse");
  assert.equal(vs[0]!.line, 2);
  assert.match(vs[0]!.message, /does not parse \(Unexpected token/);
  assert.match(formatViolation(vs[0]!), /^E gate: bundle:2:\d+ \[parse\] /);
});

test("bad input: empty, blank and comment-only bundles give no violations", () => {
  assert.deepEqual(gate(""), []);
  assert.deepEqual(gate("  \n\t\n"), []);
  assert.deepEqual(gate("// nothing\n/* at all */"), []);
});

test("bad input: wrong options and source maps fail with a one-line error that says what to pass", () => {
  assert.throws(() => checkBundle("1", {} as never), /builtinModules must be an array of module names/);
  assert.throws(() => checkBundle("1", { builtinModules: [1] } as never), /builtinModules/);
  assert.throws(() => checkBundle(42 as never, { builtinModules: [] }), /bundle must be passed as a string/);
  assert.throws(() => checkBundle("1", { builtinModules: [], sourceMap: "{not json" }), /sourceMap is not valid JSON/);
  assert.throws(() => checkBundle("1", { builtinModules: [], sourceMap: { version: 2 } }), /not a version 3 source map/);
});

test("inline ESLint directives in the bundle cannot switch the gate off or declare globals", () => {
  const code = "/* eslint-disable */\n/* global Map */\nvar m = new Map(); // eslint-disable-line\n";
  const vs = gate(code);
  assert.deepEqual(vs.map((v) => `${v.rule}@${v.line}`), ["banned-globals@3"]);
});

test("require() is checked against the board passed in, not a fixed list", () => {
  const code = 'require("TelnetServer");';
  assert.deepEqual(checkBundle(code, { builtinModules: ["TelnetServer"] }), []);
  const c3 = checkBundle(code, { builtinModules: ["Wifi", "tls"] });
  assert.equal(c3.length, 1);
  assert.match(c3[0]!.message, /"TelnetServer" is not built into this board \(built in: Wifi, tls\)/);
});

test("use-before-define follows long call cycles, memoised, and reports the chain once per call", () => {
  const n = 300;
  const fns: string[] = [];
  for (let i = 0; i < n; i++) fns.push(`function f${i}(k){ return k > 0 ? f${(i + 1) % n}(k - 1) : ${i === n - 1 ? "late" : "0"}; }`);
  const before = `${fns.join("\n")}\nf0(5);\nvar late = 1;\n`;
  const started = Date.now();
  const vs = gate(before);
  assert.ok(Date.now() - started < 10_000, "bounded time");
  assert.equal(vs.length, 1, show(vs));
  assert.equal(vs[0]!.line, n + 1);
  assert.match(vs[0]!.message, /calling `f0` here runs code that uses `late` \(at bundle:300:\d+, via `f1` → `f2` → /);
  assert.deepEqual(gate(`${fns.join("\n")}\nvar late = 1;\nf0(5);\n`), []);
});

test("formatViolation: one line, source position when known, 1-based columns", () => {
  const v: GateViolation = {
    rule: "default-params",
    message: "default parameter values are a SyntaxError on Espruino 2v29: assign the default inside the function body",
    line: 1,
    column: 120,
    source: { file: "src/wifi.ts", line: 12, column: 4 },
  };
  assert.equal(
    formatViolation(v),
    "E gate: src/wifi.ts:12:5 [default-params] default parameter values are a SyntaxError on Espruino 2v29: assign the default inside the function body",
  );
  assert.equal(formatViolation({ ...v, source: undefined }).slice(0, 38), "E gate: bundle:1:121 [default-params] ");
});
