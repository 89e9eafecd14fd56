// Runs the gate rules over a bundle with ESLint's Linter: parse (espree), scope analysis
// (eslint-scope) and traversal are ESLint's; the rules are an in-memory plugin.
import { Linter } from "eslint";
import { gateRuleModules } from "./rules/index.ts";

export interface LintFinding {
  rule: string; // gate rule id, or "parse"
  message: string;
  line: number; // 1-based
  column: number; // 0-based
}

const PLUGIN = "gate";
const linter = new Linter({ configType: "flat" });

function config(sourceType: "script" | "module", builtinModules: string[]): Linter.Config[] {
  const rules: Linter.RulesRecord = {};
  for (const id of Object.keys(gateRuleModules)) rules[`${PLUGIN}/${id}`] = "error";
  rules[`${PLUGIN}/require`] = ["error", { builtinModules }];
  return [
    {
      files: ["**/*.js"],
      plugins: { [PLUGIN]: { meta: { name: "espruino-gate" }, rules: gateRuleModules } },
      // A bundle may carry `/* eslint-disable */` or `/* global Map */` from a library: they must not
      // switch the gate off or declare globals the board lacks.
      linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: "off" },
      languageOptions: { ecmaVersion: "latest", sourceType, globals: {} },
      rules,
    },
  ];
}

function run(code: string, sourceType: "script" | "module", builtinModules: string[]): Linter.LintMessage[] {
  return linter.verify(code, config(sourceType, builtinModules), { filename: "bundle.js" });
}

/**
 * Lints the bundle as the plain script Espruino runs. If it only parses as a module (import/export,
 * import.meta, top-level await left in it), the module parse is used so those constructs are named
 * by their rules instead of a bare parse error.
 */
export function lintBundle(code: string, builtinModules: string[]): LintFinding[] {
  let messages = run(code, "script", builtinModules);
  if (messages.some((m) => m.fatal)) {
    const asModule = run(code, "module", builtinModules);
    if (!asModule.some((m) => m.fatal)) messages = asModule;
  }
  const findings: LintFinding[] = [];
  for (const m of messages) {
    if (m.fatal) {
      findings.push({ rule: "parse", message: m.message.replace(/^Parsing error: /, ""), line: m.line, column: m.column - 1 });
    } else if (m.ruleId?.startsWith(`${PLUGIN}/`)) {
      findings.push({ rule: m.ruleId.slice(PLUGIN.length + 1), message: m.message, line: m.line, column: m.column - 1 });
    }
  }
  return findings;
}
