// Every binding must be declared before code that uses it runs: Espruino 2v29 does not hoist
// `function` or `var` (measured). The analysis itself lives in ../execution-order.ts.
import type { Rule, Scope } from "eslint";
import { ESPRUINO, atMarker, defineRule, nameMarker } from "../ast.ts";
import { findEarlyUses, type CallLabel, type CallNode } from "../execution-order.ts";

function declaration(v: Scope.Variable): string {
  const d = v.defs[0]!;
  const kind = d.type === "Variable" ? d.parent.kind : d.type === "ClassName" ? "class" : "function";
  return `\`${kind} ${nameMarker(d.name)}\` at ${atMarker(d.name)}`;
}

function callName(label: CallLabel): string {
  return label ? `\`${nameMarker(label)}\`` : "an immediately invoked function";
}

const NO_HOISTING = `${ESPRUINO} has no hoisting, not even for \`function\` and \`var\``;

export const useBeforeDefineRule: Rule.RuleModule = defineRule(
  "bindings used before their declaration has run",
  (context) => {
    const calls: CallNode[] = [];
    return {
      CallExpression: (node) => void calls.push(node),
      NewExpression: (node) => void calls.push(node),
      "Program:exit"() {
        for (const use of findEarlyUses(context.sourceCode, calls)) {
          const name = nameMarker(use.reference);
          if (use.kind === "direct") {
            context.report({
              node: use.reference,
              message: `\`${name}\` is used before its declaration (${declaration(use.variable)}) has run: ${NO_HOISTING}: move the declaration above this use`,
            });
            continue;
          }
          const via = use.via.length > 0 ? `, via ${use.via.map(callName).join(" → ")}` : "";
          context.report({
            node: use.call,
            message:
              `calling ${callName(use.callee)} here runs code that uses \`${name}\` (at ${atMarker(use.reference)}${via}) ` +
              `before its declaration (${declaration(use.variable)}) has run: ${NO_HOISTING}: move that declaration above this call, or make the call after it`,
          });
        }
      },
    };
  },
);
