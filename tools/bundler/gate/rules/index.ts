// All gate rules by their stable id (the id is what users see in `[rule]` and what tests key on).
import type { Rule } from "eslint";
import { forLetClosureRule } from "./for-let-closure.ts";
import { globalRules } from "./globals.ts";
import { lexerRules } from "./lexer.ts";
import { syntaxRules } from "./syntax.ts";
import { useBeforeDefineRule } from "./use-before-define.ts";

export const gateRuleModules: Record<string, Rule.RuleModule> = {
  ...syntaxRules,
  ...globalRules,
  ...lexerRules,
  "for-let-closure": forLetClosureRule,
  "use-before-define": useBeforeDefineRule,
};
