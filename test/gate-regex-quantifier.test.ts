// Espruino 2v29's regex engine has no counted quantifiers ({n}, {n,}, {n,m}): such a regex silently never
// matches there (found when an update's checksum test refused every checksum on the real interpreter
// and passed on Node). The gate refuses them; this file proves both the fact and the rule.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkBundle } from "../tools/bundler/gate/index.ts";
import { countedQuantifier } from "../tools/bundler/gate/rules/lexer.ts";
import { loadBoard } from "../tools/common/board.ts";
import { ESPRUINO_MISSING, espruinoBin } from "./helpers/engines.ts";

test("the real interpreter: a counted quantifier never matches, the spelled-out form does", { skip: espruinoBin() ? false : ESPRUINO_MISSING }, () => {
  const dir = mkdtempSync(join(tmpdir(), "gate-q-"));
  try {
    const r = spawnSync(espruinoBin()!, ["-e", 'print("R:"+[/^a{2}$/.test("aa"),/^[0-9a-f]{3,5}$/.test("abcd"),/^aa$/.test("aa")].join(","));quit();'],
      { cwd: dir, encoding: "utf8", timeout: 20000 });
    assert.match(r.stdout, /R:false,false,true/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("countedQuantifier finds {n}, {n,} and {n,m} outside classes, not escaped braces or braces in a class", () => {
  assert.deepEqual(countedQuantifier("^[0-9a-f]{64}$"), { text: "{64}", at: 9 });
  assert.deepEqual(countedQuantifier("a{2,}"), { text: "{2,}", at: 1 });
  assert.deepEqual(countedQuantifier("x\\{3}{1,4}"), { text: "{1,4}", at: 5 });
  assert.equal(countedQuantifier("[{3}]"), undefined);
  assert.equal(countedQuantifier("a{b}"), undefined);
});

test("the gate names the quantifier, the regex and the way round it", () => {
  const vs = checkBundle('var ok = /^[0-9a-f]{64}$/.test(s);\nvar fine = /^\\d\\d$/.test(s);\n',
    { builtinModules: loadBoard("esp32").info.builtin_modules });
  const q = vs.filter((v) => v.rule === "regex");
  assert.equal(q.length, 1, JSON.stringify(vs));
  assert.match(q[0]!.message, /^regex \/\^\[0-9a-f\]\{64\}\$\/ has the counted quantifier "\{64\}", which Espruino 2v29's regex engine does not have: the regex never matches/);
  assert.match(q[0]!.message, /repeat the item instead, or test the length apart/);
});
