// Syntax Espruino 2v29's parser rejects (docs/espruino.md §1.2), found on the
// bundle's AST. Messages speak to the TypeScript author: where the construct usually comes from and
// what to write instead.
import type { Rule } from "eslint";
import type * as ESTree from "estree";
import { ESPRUINO, defineRule, isFunctionNode, parentOf, type Node } from "../ast.ts";

const SYNTAX = `is a SyntaxError on ${ESPRUINO}`;
const SYNTAX_PLURAL = `are a SyntaxError on ${ESPRUINO}`;

function isParamOf(node: Node): boolean {
  const p = parentOf(node);
  return isFunctionNode(p) && (p.params as Node[]).includes(node);
}

/** Patterns nest (`{a: [b]}`); only the outermost one is reported. */
function outermostPatternContext(node: Node): string | null {
  let p = parentOf(node);
  while (p !== null) {
    if (p.type === "ObjectPattern" || p.type === "ArrayPattern") return null;
    const inPattern =
      p.type === "AssignmentPattern" ||
      p.type === "RestElement" ||
      (p.type === "Property" && parentOf(p)?.type === "ObjectPattern");
    if (!inPattern) break;
    p = parentOf(p);
  }
  if (p === null) return "assignment";
  if (isFunctionNode(p)) return "parameter";
  if (p.type === "CatchClause") return "catch";
  if (p.type === "VariableDeclarator") {
    const loop = parentOf(parentOf(p) ?? p);
    return loop && (loop.type === "ForOfStatement" || loop.type === "ForInStatement") ? "loop" : "declaration";
  }
  if (p.type === "ForOfStatement" || p.type === "ForInStatement") return "loop";
  return "assignment";
}

const DESTRUCTURING_FIX: Record<string, string> = {
  declaration: "declare each value on its own (`const a = o.a, b = o.b;` / `const x = arr[0];`)",
  parameter: "take the object as one parameter and read its fields in the body (`function f(o) { const a = o.a; }`)",
  assignment: "assign each value on its own (`a = o.a; b = o.b;`)",
  catch: "catch the error as one name and read its fields (`catch (e) { const m = e.message; }`)",
  loop: "loop over the items and read their fields in the body (`for (const item of list) { const k = item[0]; }`)",
};

export const syntaxRules: Record<string, Rule.RuleModule> = {
  "default-params": defineRule("default parameter values", (context) => ({
    AssignmentPattern(node) {
      if (!isParamOf(node)) return;
      context.report({
        node,
        message: `default parameter values ${SYNTAX_PLURAL}: make the parameter optional (\`b?: number\`) and assign the default inside the function body (\`if (b === undefined) b = 2;\`)`,
      });
    },
  })),

  "rest-params": defineRule("rest parameters", (context) => ({
    RestElement(node) {
      if (!isParamOf(node)) return;
      context.report({
        node,
        message: `rest parameters (\`...args\`) ${SYNTAX_PLURAL} (its parser has no \`...\` token): take an array parameter instead, or read \`arguments\` (\`const args = [].slice.call(arguments, 1)\`)`,
      });
    },
  })),

  spread: defineRule("spread in calls, arrays and object literals", (context) => ({
    SpreadElement(node) {
      const p = parentOf(node);
      const [what, fix] =
        p?.type === "ObjectExpression"
          ? ["object spread `{...o}`", "use `Object.assign({}, o, {k: v})`"]
          : p?.type === "ArrayExpression"
            ? ["array spread `[...xs]`", "use `xs.slice()` or `a.concat(b)`"]
            : p?.type === "NewExpression"
              ? ["spread in `new C(...args)`", "pass the values one by one"]
              : ["spread in a call `f(...args)`", "use `f.apply(null, args)` or pass the array itself"];
      context.report({ node, message: `${what} ${SYNTAX} (no \`...\` token): ${fix}` });
    },
  })),

  destructuring: defineRule("destructuring patterns", (context) => {
    function check(node: ESTree.ObjectPattern | ESTree.ArrayPattern): void {
      const where = outermostPatternContext(node);
      if (where === null) return;
      context.report({
        node,
        message: `destructuring (${where}) ${SYNTAX}: ${DESTRUCTURING_FIX[where]}`,
      });
    }
    return { ObjectPattern: check, ArrayPattern: check };
  }),

  "computed-keys": defineRule("computed property keys", (context) => {
    function check(node: ESTree.Property | ESTree.MethodDefinition | ESTree.PropertyDefinition): void {
      if (!node.computed) return;
      if (node.type === "Property" && parentOf(node)?.type !== "ObjectExpression") return;
      const fix =
        node.type === "Property"
          ? "create the object first, then set the key (`const o = {}; o[k] = v;`)"
          : "give the member a plain name, or assign it after the class (`C.prototype[k] = function () {…}`)";
      context.report({ node, message: `computed key \`[k]\` ${SYNTAX}: ${fix}` });
    }
    return { Property: check, MethodDefinition: check, PropertyDefinition: check };
  }),

  exponent: defineRule("the exponent operator", (context) => ({
    BinaryExpression(node) {
      if (node.operator !== "**") return;
      context.report({ node, message: `\`a ** b\` ${SYNTAX} (no \`**\` token): write \`Math.pow(a, b)\`` });
    },
    AssignmentExpression(node) {
      if (node.operator !== "**=") return;
      context.report({ node, message: `\`a **= b\` ${SYNTAX} (no \`**\` token): write \`a = Math.pow(a, b)\`` });
    },
  })),

  "optional-chaining": defineRule("optional chaining", (context) => {
    function check(node: ESTree.MemberExpression | ESTree.SimpleCallExpression): void {
      if (!node.optional) return;
      const fix =
        node.type === "CallExpression"
          ? "test before calling (`if (f) f();` / `typeof o.m === 'function' && o.m()`)"
          : "test before reading (`a && a.b`, or `a != null ? a.b : undefined`)";
      context.report({ node, message: `optional chaining \`?.\` ${SYNTAX}: ${fix}` });
    }
    return { MemberExpression: check, CallExpression: check };
  }),

  "async-await": defineRule("async functions and await", (context) => {
    let asyncDepth = 0;
    const enter = (node: ESTree.Function): void => {
      if (!node.async) return;
      asyncDepth++;
      context.report({
        node,
        message: `\`async\` functions ${SYNTAX_PLURAL} (TypeScript targets from ES2017 on keep them): return a Promise and chain \`.then()\`/\`.catch()\`, or use callbacks`,
      });
    };
    const exit = (node: ESTree.Function): void => {
      if (node.async) asyncDepth--;
    };
    return {
      ":function": enter,
      ":function:exit": exit,
      ForOfStatement(node) {
        if (node.await)
          context.report({ node, message: `\`for await\` ${SYNTAX}: chain the Promises with \`.then()\` instead` });
      },
      AwaitExpression(node) {
        // Inside an async function the function itself is already reported.
        if (asyncDepth === 0)
          context.report({ node, message: `top-level \`await\` ${SYNTAX}: use \`promise.then(...)\`` });
      },
    };
  }),

  generators: defineRule("generator functions", (context) => ({
    ":function"(node: ESTree.Function) {
      if (!node.generator) return;
      context.report({
        node,
        message: `generator functions (\`function*\`/\`yield\`) ${SYNTAX_PLURAL}: return an array, or an object with a \`next()\` method you write yourself`,
      });
    },
  })),

  labels: defineRule("labelled statements", (context) => ({
    LabeledStatement(node) {
      context.report({
        node,
        message: `labelled statement \`${node.label.name}:\` ${SYNTAX}: replace \`break/continue ${node.label.name}\` with a flag variable, or move the loops into a function and \`return\``,
      });
    },
  })),

  "class-fields": defineRule("class field declarations and static blocks", (context) => ({
    PropertyDefinition(node) {
      const fix = node.static
        ? "assign it after the class (`C.x = …;`)"
        : "compile with `useDefineForClassFields: false` (tsconfig target ES2020) so TypeScript assigns it in the constructor, or write `this.x = …` in the constructor";
      context.report({
        node,
        message: `${node.static ? "static " : ""}class field declaration crashes ${ESPRUINO} (interpreter assertion): ${fix}`,
      });
    },
    StaticBlock(node) {
      context.report({
        node,
        message: `class \`static { }\` block ${SYNTAX}: run that code after the class declaration`,
      });
    },
  })),

  "module-syntax": defineRule("import/export left in the bundle", (context) => {
    const report = (node: Node, what: string, fix: string): void =>
      context.report({ node, message: `${what} ${SYNTAX} (it runs one plain script, no modules): ${fix}` });
    const staticFix =
      "bundle everything into one script (rollup `output.format: \"iife\"`) and import only from src/ so rollup inlines it";
    return {
      ImportDeclaration: (node) => report(node, "`import` declaration", staticFix),
      ExportNamedDeclaration: (node) => report(node, "`export`", staticFix),
      ExportDefaultDeclaration: (node) => report(node, "`export default`", staticFix),
      ExportAllDeclaration: (node) => report(node, "`export *`", staticFix),
      ImportExpression: (node) =>
        report(node, "dynamic `import()`", "use a static `import` so rollup inlines the module"),
      MetaProperty(node) {
        if (node.meta.name === "import")
          report(node, "`import.meta`", "there is no module URL on the board: pass what you need as configuration");
      },
    };
  }),
};
