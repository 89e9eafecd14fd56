// Globals and built-ins Espruino 2v29 lacks or gets wrong (docs/espruino.md §1.2), checked
// only where a name reaches the real global object: a local binding called `Map` is left alone.
import type { Rule, Scope } from "eslint";
import type * as ESTree from "estree";
import {
  ESPRUINO,
  defineRule,
  globalReferences,
  isGlobalIdentifier,
  isTypeofOperand,
  isWriteTarget,
  memberName,
  parentOf,
} from "../ast.ts";

const MISSING = `is undefined on ${ESPRUINO}`;

/** Banned globals and what to write instead. */
const BANNED_GLOBALS: Record<string, string> = {
  Map: `\`Map\` ${MISSING} (ReferenceError): use a plain object keyed by strings (\`const m: {[k: string]: V} = {}\`)`,
  Set: `\`Set\` ${MISSING} (ReferenceError): use an object of \`true\` values keyed by strings, or an array with \`indexOf\``,
  WeakMap: `\`WeakMap\` ${MISSING} (ReferenceError; TypeScript emits it for \`#private\` fields below ES2022): store the value in a property of the object itself`,
  WeakSet: `\`WeakSet\` ${MISSING} (ReferenceError): mark the objects with a property, or keep them in an array`,
  Symbol: `\`Symbol\` ${MISSING} (ReferenceError; TypeScript's iteration helpers use \`Symbol.iterator\`): use string keys and index loops over arrays`,
  Buffer: `\`Buffer\` is Node-only, not on ${ESPRUINO}: use \`Uint8Array\`, \`E.toString(u8)\` and \`btoa\`/\`atob\``,
  setImmediate: `\`setImmediate\` is Node-only, not on ${ESPRUINO}: use \`setTimeout(fn, 0)\``,
  queueMicrotask: `\`queueMicrotask\` ${MISSING}: use \`Promise.resolve().then(fn)\` or \`setTimeout(fn, 0)\``,
  structuredClone: `\`structuredClone\` ${MISSING}: copy the fields yourself, or \`JSON.parse(JSON.stringify(x))\` for plain data`,
  __dirname: `\`__dirname\` is Node-only, not on ${ESPRUINO} (there are no file paths on the board): name Storage files directly`,
  __filename: `\`__filename\` is Node-only, not on ${ESPRUINO} (there are no file paths on the board): name Storage files directly`,
  module: `\`module\` (CommonJS) is not defined on ${ESPRUINO}, which runs the bundle as one plain script: bundle with rollup \`output.format: "iife"\` and do not export from the entry`,
  exports: `\`exports\` (CommonJS) is not defined on ${ESPRUINO}, which runs the bundle as one plain script: bundle with rollup \`output.format: "iife"\` and do not export from the entry`,
};

/** Static members missing on Espruino 2v29 (measured), with a replacement. */
const BANNED_MEMBERS: Record<string, Record<string, string>> = {
  Object: { freeze: "drop the call (use `readonly`/`as const` in TypeScript for immutability)" },
  Array: { from: "copy with a loop, `arr.slice()` or `[].slice.call(arrayLike)`" },
  Number: { isInteger: "write `typeof n === \"number\" && isFinite(n) && Math.floor(n) === n`" },
  Math: { trunc: "write `n < 0 ? Math.ceil(n) : Math.floor(n)`" },
  Date: { UTC: "compute epoch milliseconds arithmetically, or keep times as numbers from `getTime()`" },
};

/** Built-in constructors whose methods exist only on instances, with an instance to borrow them from. */
const INSTANCE_OF: Record<string, string> = {
  Array: "[]",
  Object: "({})",
  Function: "(function () {})",
  String: '""',
  Number: "(0)",
  Boolean: "false",
  Promise: "Promise.resolve()",
  RegExp: "/x/",
  Date: "new Date()",
  Error: "new Error()",
  TypeError: "new TypeError()",
  RangeError: "new RangeError()",
  SyntaxError: "new SyntaxError()",
  ReferenceError: "new ReferenceError()",
  ArrayBuffer: "new ArrayBuffer(0)",
  DataView: "new DataView(new ArrayBuffer(0))",
  Uint8Array: "new Uint8Array(0)",
  Int8Array: "new Int8Array(0)",
  Uint8ClampedArray: "new Uint8ClampedArray(0)",
  Uint16Array: "new Uint16Array(0)",
  Int16Array: "new Int16Array(0)",
  Uint32Array: "new Uint32Array(0)",
  Int32Array: "new Int32Array(0)",
  Float32Array: "new Float32Array(0)",
  Float64Array: "new Float64Array(0)",
};

const ERROR_TYPES = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
  "InternalError",
]);

function member(node: ESTree.Node | null, object: ESTree.Node): ESTree.MemberExpression | null {
  return node !== null && node.type === "MemberExpression" && node.object === object ? node : null;
}

function globalRefsNamed(context: Rule.RuleContext, names: Record<string, unknown>): Scope.Reference[] {
  return globalReferences(context.sourceCode).filter((r) => Object.hasOwn(names, r.identifier.name));
}

export interface RequireRuleOptions {
  builtinModules: string[];
}

export const globalRules: Record<string, Rule.RuleModule> = {
  "banned-globals": defineRule("globals missing on the board", (context) => ({
    Program() {
      for (const ref of globalRefsNamed(context, BANNED_GLOBALS)) {
        const id = ref.identifier as ESTree.Identifier;
        if (isTypeofOperand(id)) continue;
        context.report({ node: id, message: BANNED_GLOBALS[id.name]! });
      }
    },
  })),

  "banned-members": defineRule("static built-in members missing on the board", (context) => ({
    Program() {
      for (const ref of globalRefsNamed(context, BANNED_MEMBERS)) {
        const id = ref.identifier as ESTree.Identifier;
        const m = member(parentOf(id), id);
        const name = m && memberName(m);
        const fix = name !== null ? BANNED_MEMBERS[id.name]![name] : undefined;
        if (!m || !fix || isTypeofOperand(m) || isWriteTarget(m)) continue;
        context.report({ node: m, message: `\`${id.name}.${name}\` ${MISSING}: ${fix}` });
      }
    },
  })),

  "builtin-prototype": defineRule("methods read through a built-in prototype", (context) => ({
    Program() {
      for (const ref of globalRefsNamed(context, INSTANCE_OF)) {
        const id = ref.identifier as ESTree.Identifier;
        const proto = member(parentOf(id), id);
        if (!proto || memberName(proto) !== "prototype") continue;
        const method = member(parentOf(proto), proto);
        if (!method || isTypeofOperand(method) || isWriteTarget(method)) continue;
        const name = memberName(method) ?? "[…]";
        const instance = INSTANCE_OF[id.name]!;
        context.report({
          node: method,
          message:
            `\`${id.name}.prototype.${name}\` ${MISSING} (built-in methods exist only on instances): ` +
            `use \`${instance}.${name}\` instead; TypeScript's __spreadArray/__rest helpers do this, so avoid spread/rest in src/`,
        });
      }
    },
  })),

  require: defineRule(
    "require() of modules the board does not have built in",
    (context) => {
      const options = (context.options[0] ?? { builtinModules: [] }) as RequireRuleOptions;
      const builtin = new Set(options.builtinModules);
      const list = options.builtinModules.join(", ") || "none";
      return {
        Program() {
          for (const ref of globalReferences(context.sourceCode)) {
            const id = ref.identifier as ESTree.Identifier;
            if (id.name !== "require" || isTypeofOperand(id)) continue;
            const call = parentOf(id);
            if (!call || call.type !== "CallExpression" || call.callee !== id) {
              context.report({
                node: id,
                message: `\`require\` used as a value cannot be checked against the board's built-in modules: call it directly as \`require("Wifi")\``,
              });
              continue;
            }
            const arg = call.arguments[0];
            if (!arg || arg.type !== "Literal" || typeof arg.value !== "string") {
              context.report({
                node: call,
                message: `\`require(…)\` needs a string literal naming a module built into the board (${list}); a computed name cannot be checked`,
              });
            } else if (!builtin.has(arg.value)) {
              context.report({
                node: call,
                message: `\`require("${arg.value}")\`: "${arg.value}" is not built into this board (built in: ${list}): import its code from src/ so rollup bundles it, or drop it`,
              });
            }
          }
        },
      };
    },
    [
      {
        type: "object",
        properties: { builtinModules: { type: "array", items: { type: "string" } } },
        additionalProperties: false,
      },
    ],
  ),

  "extends-error": defineRule("classes extending the built-in Error types", (context) => {
    function check(node: ESTree.ClassDeclaration | ESTree.ClassExpression): void {
      const sup = node.superClass;
      if (!sup || sup.type !== "Identifier" || !ERROR_TYPES.has(sup.name)) return;
      if (!isGlobalIdentifier(context.sourceCode, sup)) return;
      context.report({
        node,
        message:
          `\`class … extends ${sup.name}\` fails on ${ESPRUINO} ("Calling 'super' outside of class"): ` +
          `do not subclass errors; throw \`new Error(msg)\` and tag it (\`e.code = "…"\`), or throw an instance of a plain class`,
      });
    }
    return { ClassDeclaration: check, ClassExpression: check };
  }),
};
