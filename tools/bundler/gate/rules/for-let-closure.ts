// `for (let i = 0; …; i++)` on Espruino 2v29 keeps one `i` for the whole loop (measured): a closure
// created in the loop sees the last value, not the one of its iteration.
import type { Rule, Scope } from "eslint";
import type * as ESTree from "estree";
import { ESPRUINO, defineRule, nameMarker } from "../ast.ts";

/** The first reference to `v` made from inside a function nested in the loop, if any. */
function capturedAt(v: Scope.Variable): Scope.Reference | undefined {
  return v.references.find((ref) => {
    for (let s: Scope.Scope | null = ref.from; s !== null && s !== v.scope; s = s.upper) {
      if (s.type === "function") return true;
    }
    return false;
  });
}

export const forLetClosureRule: Rule.RuleModule = defineRule(
  "for (let/const …;…;…) bindings captured by closures",
  (context) => ({
    ForStatement(node) {
      const init = node.init;
      if (!init || init.type !== "VariableDeclaration" || init.kind === "var") return;
      for (const v of context.sourceCode.getDeclaredVariables(init)) {
        const ref = capturedAt(v);
        if (!ref) continue;
        const id = ref.identifier as ESTree.Identifier;
        context.report({
          node: id,
          message:
            `\`${nameMarker(v.identifiers[0]!)}\` of \`for (${init.kind} …; …; …)\` is used by a function created in the loop, ` +
            `but ${ESPRUINO} shares one binding across iterations, so the function sees the last value: ` +
            `copy it into a \`const\` declared inside the loop body (\`const j = i;\`) and use that, or loop with \`forEach\``,
        });
      }
    },
  }),
);
