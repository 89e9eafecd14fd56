// Espruino compatibility gate: checks the minified bundle (dist/firmware.js) for every construct that
// fails, or runs wrongly, on the Espruino 2v29 interpreter (docs/espruino.md §1) and
// names each one with its place, mapped back to src/ when a source map is given.
import { lintBundle } from "./lint.ts";
import { BundleLocator } from "./locate.ts";
import { gateRuleModules } from "./rules/index.ts";

export interface GateViolation {
  rule: string; // stable rule id, one of GATE_RULES
  message: string; // what is wrong + why it breaks on Espruino + how to fix, one line
  line: number; // in the bundle, 1-based
  column: number; // in the bundle, 0-based (source-map convention)
  source?: { file: string; line: number; column: number }; // original position (line 1-based, column 0-based)
}

export interface GateOptions {
  builtinModules: string[]; // the board's info.builtin_modules; require() of anything else is a violation
  sourceMap?: string | object; // the bundle's source map (rollup/terser v3 map), optional
}

/** Every rule id the gate can report; "parse" is a bundle that does not parse at all. */
export const GATE_RULES: readonly string[] = Object.freeze(["parse", ...Object.keys(gateRuleModules)]);

function checkOptions(options: GateOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("gate: options missing: pass { builtinModules: board.info.builtin_modules }");
  }
  const mods: unknown = options.builtinModules;
  if (!Array.isArray(mods) || mods.some((m) => typeof m !== "string")) {
    throw new TypeError(
      "gate: options.builtinModules must be an array of module names (the board JSON's info.builtin_modules)",
    );
  }
}

/** All violations in the bundle, ordered by position; an empty array means it may be flashed. */
export function checkBundle(code: string, options: GateOptions): GateViolation[] {
  if (typeof code !== "string") throw new TypeError("gate: the bundle must be passed as a string of JavaScript");
  checkOptions(options);
  const locator = new BundleLocator(options.sourceMap);
  const seen = new Set<string>();
  const violations: GateViolation[] = [];
  for (const f of lintBundle(code, options.builtinModules)) {
    const message =
      f.rule === "parse"
        ? `the bundle does not parse (${f.message}), so Espruino would reject all of it: fix the syntax in the source or the build step that produced it`
        : locator.resolveMarkers(f.message);
    const key = `${f.rule}\n${f.line}:${f.column}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const v: GateViolation = { rule: f.rule, message, line: f.line, column: f.column };
    const source = locator.original(f.line, f.column);
    if (source) v.source = source;
    violations.push(v);
  }
  return violations.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** `E gate: src/wifi.ts:12:5 [default-params] …` (1-based columns, as editors and compilers print them). */
export function formatViolation(v: GateViolation): string {
  const where = v.source
    ? `${v.source.file}:${v.source.line}:${v.source.column + 1}`
    : `bundle:${v.line}:${v.column + 1}`;
  return `E gate: ${where} [${v.rule}] ${v.message}`;
}
