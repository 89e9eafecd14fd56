// The Espruino compatibility gate (tools/bundler/gate): fixture pairs per rule, source mapping through
// real rollup + TypeScript + terser output, bad input, the real firmware bundle, and the lexer rules'
// fixtures run on the real interpreter when ESPRUINO_BIN is set.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import terserModule from "@rollup/plugin-terser";
import typescriptModule from "@rollup/plugin-typescript";
import { rollup, type SourceMap } from "rollup";
import { firmwareRollupOptions } from "../rollup.config.js";
import { toFirmwareConfig } from "../tools/bundler/build.ts";
import { loadDeviceConfig } from "../tools/bundler/config.ts";
import { renamableProperties } from "../tools/bundler/renamable.ts";
import { typecheckFirmware } from "../tools/bundler/typecheck.ts";
import { loadBoard } from "../tools/common/board.ts";
import { GATE_RULES, checkBundle, formatViolation, type GateViolation } from "../tools/bundler/gate/index.ts";
import { ESPRUINO_MISSING, espruinoBin } from "./helpers/engines.ts";

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
    "for-let-closure", "use-before-define", "regex", "non-ascii", "regex-or-division",
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

// ---------------------------------------------------------------------------------------------
// The lexer rules: the gate reads the bundle as Espruino 2v29's lexer does (regex literals, "/" as
// regex or division, non-ASCII characters).

/** The marked lines of a bad fixture with the messages the gate gives for `rule` there. */
function markedMessages(rule: string): Map<number, string[]> {
  const bad = readFileSync(join(FIXTURES, `${rule}.bad.js`), "utf8");
  const byLine = new Map<number, string[]>();
  for (const v of gate(bad).filter((x) => x.rule === rule)) byLine.set(v.line, [...(byLine.get(v.line) ?? []), v.message]);
  return byLine;
}

test("rule regex: names the class with the unescaped / and writes the fix, and names the flags Espruino lacks", () => {
  const m = markedMessages("regex");
  assert.match(m.get(5)![0]!, /^regex \/\[\^\/\]\[\+#\]\|\[\+#\]\[\^\/\]\|#\.\/ has an unescaped "\/" inside the character classes "\[\^\/\]", "\[\^\/\]": Espruino 2v29's lexer ends a regex at the first unescaped "\/", even inside \[\.\.\.\].*write "\\\/" there \("\[\^\\\/\]", "\[\^\\\/\]"\)$/);
  assert.match(m.get(6)![0]!, /inside the character class "\[\^\/\]".*\("\[\^\\\/\]"\)$/);
  assert.match(m.get(7)![0]!, /^regex \/a\.b\/s has the flag "s", which Espruino 2v29 does not have \(only g, i, m, y and u\).*remove it \(for "s" match any character with \[\\s\\S\] instead of "\."\)$/);
  assert.match(m.get(8)![0]!, /^regex \/b\/dg has the flag "d",/);
  // Reported at the offending character, not at the literal's start.
  const slash = gate("var re = /a[^/]b/;")[0]!;
  assert.equal(slash.column, "var re = /a[^".length);
  const mixed = gate("var ok = /[\\/]/gimyu, also = /a\\/[^\\]]\\/[\\]\\/]/, bad = /[/\\]]x/;");
  assert.deepEqual(mixed.map((v) => v.message.split(": ")[0]), ['regex /[/\\]]x/ has an unescaped "/" inside the character class "[/\\]]"'],
    "only the class that really holds an unescaped / is reported, escapes inside classes understood");
});

test("the pre-fix src/mqtt/topic.ts regex is rejected, so reverting the fix fails the gate", () => {
  const vs = gate('var validFilter = (e) => !!e && !/[^/][+#]|[+#][^/]|#./.test(e);');
  assert.deepEqual(vs.map((v) => v.rule), ["regex"], show(vs));
  assert.match(vs[0]!.message, /write "\\\/" there \("\[\^\\\/\]", "\[\^\\\/\]"\)/);
  assert.deepEqual(gate('var validFilter = (e) => !!e && !/[^\\/][+#]|[+#][^\\/]|#./.test(e);'), []);
});

test("rule non-ascii: names the character, its code point and place, and the escapes to write", () => {
  const m = markedMessages("non-ascii");
  assert.equal(m.get(4)![0], 'non-ASCII character U+00B0 "°" at bundle:4:19: Espruino 2v29 on ESP32 has no Unicode and reads it as ' +
    "its 2 UTF-8 bytes, so lengths and comparisons differ from V8: write an escape instead, \\xC2\\xB0 for those bytes, or \\xB0 " +
    "(\\u00B0) for the one byte 0xB0; terser writes escapes back raw unless rollup.config.js sets format.ascii_only: true");
  assert.match(m.get(6)![0]!, /^non-ASCII character U\+20AC "€" at bundle:6:14: .* its 3 UTF-8 bytes.*\\xE2\\x82\\xAC for those bytes \(\\u20AC would become the one byte 0xAC there\)/);
  assert.match(m.get(7)![0]!, /^non-ASCII text U\+00FC U\+00DF "üß" at bundle:7:18: .*\\xC3\\xBC\\xC3\\x9F for those bytes/);
  // A run is one report; astral characters are one code point; a BOM is named.
  assert.equal(gate('var s = "\u{1F600}\u{1F600}";').length, 1);
  assert.match(gate('var s = "\u{1F600}";')[0]!.message, /U\+1F600 .* its 4 UTF-8 bytes/);
  assert.match(gate("\uFEFFvar s = 1;")[0]!.message, /starts with a byte order mark \(U\+FEFF\)/);
  assert.match(gate("// caf\u00e9\nvar s = 1;")[0]!.message, /U\+00E9 .* at bundle:1:7:/, "comments too: the whole bundle stays ASCII");
});

test("rule regex-or-division: names the token before the / and the rewrite, both ways round", () => {
  const m = markedMessages("regex-or-division");
  assert.match(m.get(5)![0]!, /^the regex \/\\d\/ at bundle:5:8 follows "\)", after which Espruino 2v29 reads "\/" as a division .* give the regex a name at module level \(`const DIGIT = \/\\d\/;` … `DIGIT\.test\(s\)`\).* or build it with `new RegExp\("\\\\d"\)`$/);
  assert.match(m.get(6)![0]!, /follows "~", after which Espruino 2v29 reads "\/" as a division/);
  assert.match(m.get(7)![0]!, /follows "\|", after which/);
  assert.match(m.get(8)![0]!, /^this "\/" at bundle:8:19 divides, but it follows "\+\+", after which Espruino 2v29 starts a regex .*make the left operand end in "\)", e\.g\. `Number\(this\) \/ 2` or `Number\(c\.n\+\+\) \/ 2`/);
  assert.match(m.get(9)![0]!, /follows "this", after which Espruino 2v29 starts a regex/);
  assert.match(m.get(10)![0]!, /follows "}", after which/);
  assert.match(m.get(11)![0]!, /follows "default" \(a keyword to Espruino's lexer, even as a name\)/);
  // `/=` is judged like `/`; what follows true/false/null/undefined divides on Espruino too.
  assert.equal(gate("var a = {n: 4}; a.of /= 2;").length, 1);
  assert.deepEqual(gate("var t = true / 2, n = null / 2, u = undefined / 2, f = false / 2;"), []);
  // Operators Espruino does not have split into ones it has: `**` ends in `*` (regex), `?.` in `.` (division).
  assert.ok(gate("var a = 2; var b = a ** /x/.source.length;").every((v) => v.rule !== "regex-or-division"));
});

test("lexer rules through real TypeScript + terser output: reported at the src/ line, the message too", async () => {
  const { code, map } = await bundle("lexer", "main.ts");
  const vs = gate(code, map);
  const regex = vs.find((v) => v.rule === "regex");
  const text = vs.find((v) => v.rule === "non-ascii");
  assert.ok(regex && text, show(vs));
  assert.equal(vs.length, 3, show(vs));
  assert.match(regex.source!.file, /(^|\/)units\.ts$/);
  assert.equal(regex.source!.line, 4);
  assert.match(formatViolation(regex), /^E gate: \S*units\.ts:4:\d+ \[regex\] regex \/\\\/\(\[\^\/\]\+\)\$\/ has an unescaped/);
  assert.equal(text.source!.line, 9);
  assert.match(text.message, /^non-ASCII character U\+00B0 "°" at \S*units\.ts:9:\d+: /);
  // terser writes `counter.n++ / 2` as `{n:3}.n++/2`: Espruino would start a regex after "++".
  assert.ok(code.includes("++/2"), code);
  const division = vs.find((v) => v.rule === "regex-or-division");
  assert.ok(division, show(vs));
  assert.equal(division.source!.line, 13);
  assert.match(division.message, /^this "\/" at \S*units\.ts:13:\d+ divides, but it follows "\+\+"/);
});

/** The firmware as `npm run build` bundles it (rollup.config.js), optionally with src/ rewritten first. */
async function firmwareBundle(rewrite?: { file: string; from: string; to: string }): Promise<{ code: string; map: SourceMap }> {
  const config = loadDeviceConfig({ file: join(ROOT, "device.config.example.json"), cwd: ROOT, env: {} }).config;
  const opts = firmwareRollupOptions({
    firmwareConfig: toFirmwareConfig(config, "AAAA", loadBoard(config.board)), preamble: "// gate test",
    input: join(ROOT, "src", "main.ts"), tsconfig: join(ROOT, "tsconfig.json"),
    renamed: renamableProperties(typecheckFirmware(join(ROOT, "tsconfig.json"), ROOT).program!, ROOT).regex,
  });
  if (rewrite) {
    const plugin = {
      name: "rewrite-src",
      transform(src: string, id: string) {
        if (!id.endsWith(rewrite.file)) return null;
        assert.ok(src.includes(rewrite.from), `${rewrite.file} no longer contains ${rewrite.from}`);
        return { code: src.replace(rewrite.from, rewrite.to), map: null };
      },
    };
    opts.input.plugins = [plugin, ...(opts.input.plugins as never[])];
  }
  const b = await rollup(opts.input);
  try {
    const { output } = await b.generate(opts.output);
    return { code: output[0].code, map: output[0].map! };
  } finally {
    await b.close();
  }
}

const TOPIC_FIX = { file: join("src", "mqtt", "topic.ts"), from: "/[^\\/][+#]|[+#][^\\/]|#./", to: "/[^/][+#]|[+#][^/]|#./" };

test("the real firmware bundle passes the gate, with topic.ts's regex escaped as Espruino needs", async () => {
  const { code, map } = await firmwareBundle();
  assert.ok(code.includes("/[^\\/][+#]|[+#][^\\/]|#./"), "terser kept the \\/ escapes");
  const vs = gate(code, map);
  assert.deepEqual(vs, [], show(vs));
});

test("reverting the topic.ts fix fails the gate at src/mqtt/topic.ts", async () => {
  const { code, map } = await firmwareBundle(TOPIC_FIX);
  const vs = gate(code, map);
  assert.deepEqual(vs.map((v) => v.rule), ["regex"], show(vs));
  const line = readFileSync(join(ROOT, TOPIC_FIX.file), "utf8").split("\n").findIndex((l) => l.includes(TOPIC_FIX.from)) + 1;
  assert.match(formatViolation(vs[0]!), new RegExp(`^E gate: src/mqtt/topic\\.ts:${line}:\\d+ \\[regex\\] regex /\\[\\^/\\]`));
});

/** What console.log prints when `code` runs on V8 (sloppy script, like Espruino's). */
function runOnV8(code: string): string[] {
  const out: string[] = [];
  runInNewContext(code, { console: { log: (...a: unknown[]) => out.push(a.map(String).join(" ")) } });
  return out;
}

const END = "<<end of fixture>>";

/** What the real interpreter prints for `code`, up to its prompt; killed after `ms` at the latest. */
async function runOnEspruino(bin: string, code: string, ms = 5000): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "tb-gate-espruino-")); // it writes espruino.flash into its cwd
  try {
    writeFileSync(join(dir, "fixture.js"), `${code}\nconsole.log(${JSON.stringify(END)});\n`);
    // stdin stays open: on EOF the interpreter spins and ignores SIGTERM.
    const child = spawn(bin, ["fixture.js"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let text = "";
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      child.stdout.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        const body = text.split("espruino.com/Donate")[1] ?? "";
        if (body.includes(END) || /\n>$/.test(body)) done();
      });
      child.on("exit", done);
    });
    child.kill("SIGKILL");
    const body = (text.split("espruino.com/Donate")[1] ?? "").replace(/\r/g, "").replace(/\n>$/, "");
    return body.split("\n").filter((l) => l !== "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const rule of ["regex", "non-ascii", "regex-or-division"]) {
  test(`rule ${rule} on the real interpreter: each marked line alone differs from V8, the good fixture does not`, { skip: espruinoBin() ? false : ESPRUINO_MISSING }, async () => {
    const bin = espruinoBin()!;
    const good = readFileSync(join(FIXTURES, `${rule}.good.js`), "utf8");
    const onV8 = runOnV8(good);
    assert.ok(onV8.length > 0);
    assert.deepEqual(await runOnEspruino(bin, good), [...onV8, END]);

    const lines = readFileSync(join(FIXTURES, `${rule}.bad.js`), "utf8").split("\n");
    const marked = lines.flatMap((l, i) => (l.includes(EXPECT_MARK) ? [i] : []));
    for (const i of marked) {
      const alone = lines.filter((_, j) => j === i || !marked.includes(j)).join("\n");
      const expected = [...runOnV8(alone), END];
      const got = await runOnEspruino(bin, alone);
      assert.notDeepEqual(got, expected, `line ${i + 1} runs the same on Espruino: ${lines[i]}`);
    }
  });
}
