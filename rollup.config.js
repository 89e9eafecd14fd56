// How src/ becomes dist/firmware.js: one plain script for Espruino 2v29, minified within its subset.
// The build (tools/bundler/build.ts) checks the config, the certificate and the types, then bundles
// with firmwareRollupOptions() and checks the result (Espruino gate, size budget). `rollup -c` runs
// that same build through the default export below. This file imports no TypeScript at its top
// level: rollup loads it with plain node, which cannot.
import terser from "@rollup/plugin-terser";
import { register } from "tsx/esm/api";
import ts from "typescript";

/** Names starting with one "_": private to src/ by convention, renamed whatever declares them ("__proto__" excluded). */
export const PRIVATE_PROPERTIES = /^_[^_]/;

/** Serves `import * as CONFIG from "device-config"` from the validated settings: one constant per
 *  key, so that the minifier writes each value where it is used (a string used once then lives in
 *  the code, which runs from flash) instead of keeping one object of all of them in RAM. */
function deviceConfig(firmwareConfig) {
  const id = "\0device-config";
  return {
    name: "device-config",
    resolveId: (source) => (source === "device-config" ? id : null),
    load: (source) => (source === id
      ? Object.entries(firmwareConfig).map(([k, v]) => `export const ${k} = ${JSON.stringify(v)};\n`).join("")
      : null),
  };
}

/** True when the function body `node` reads `this` or `arguments` (nested ordinary functions have their own). */
function usesThisOrArguments(node) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    if (n.kind === ts.SyntaxKind.ThisKeyword || (ts.isIdentifier(n) && n.text === "arguments")) found = true;
    // A nested ordinary function has its own `this`; an arrow shares the outer one.
    else if (!(ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n))) ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/**
 * Rewrites two spellings the minifier keeps as written into shorter ones with the same meaning on
 * Espruino: `const` becomes `let` (the type check already forbids reassignment), and a function
 * declaration that uses neither `this` nor `arguments` becomes `let f = (...) => {...}`. Espruino
 * hoists nothing (docs/espruino.md §1.3), so a declaration and a `let` are usable from the same line on,
 * and the gate still checks every function is defined before it runs. ~0.5 KB on the firmware.
 */
function shorterDeclarations(context) {
  const f = context.factory;
  const visit = (node) => {
    if (ts.isVariableDeclarationList(node) && node.flags & ts.NodeFlags.Const) {
      const list = f.createVariableDeclarationList(ts.visitNodes(node.declarations, visit), ts.NodeFlags.Let);
      return ts.setTextRange(list, node);
    }
    const mods = ts.isFunctionDeclaration(node) ? node.modifiers || [] : [];
    if (ts.isFunctionDeclaration(node) && node.name && node.body && !node.asteriskToken && !usesThisOrArguments(node.body) &&
      !mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) {
      // `export` carries over; async is outside Espruino's subset (the gate rejects it).
      const arrow = f.createArrowFunction(undefined, undefined,
        ts.visitNodes(node.parameters, visit), undefined, f.createToken(ts.SyntaxKind.EqualsGreaterThanToken),
        ts.visitNode(node.body, visit));
      return ts.setTextRange(f.createVariableStatement(mods.filter((m) => m.kind === ts.SyntaxKind.ExportKeyword), f.createVariableDeclarationList(
        [f.createVariableDeclaration(node.name, undefined, undefined, arrow)], ts.NodeFlags.Let)), node);
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (sf) => ts.visitNode(sf, visit);
}

/**
 * TypeScript to ES2020 per module with the compiler's own transpiler, honouring tsconfig.json.
 * Types are checked once before bundling (tools/bundler/typecheck.ts); doing it here through a
 * compiler watch program left timers behind that re-threw a type error after the build had failed.
 */
export function typescriptTranspile(tsconfigPath) {
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfigPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, " "));
    },
  });
  const options = { ...parsed.options, sourceMap: true, inlineSourceMap: false, inlineSources: false, declaration: false, noEmit: false };
  return {
    name: "typescript-transpile",
    resolveId(source, importer) {
      if (!importer || !source.startsWith(".")) return null;
      const r = ts.resolveModuleName(source, importer, options, ts.sys).resolvedModule;
      return r && !r.isExternalLibraryImport ? r.resolvedFileName : null;
    },
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      const out = ts.transpileModule(code, {
        compilerOptions: options, fileName: id, reportDiagnostics: false, transformers: { after: [shorterDeclarations] },
      });
      return { code: out.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, ""), map: out.sourceMapText };
    },
  };
}

/*
 * The property names terser renames in the firmware, to one or two letters, come from
 * tools/bundler/renamable.ts: it derives them from src/ (the members it declares, less what a
 * declaration file or a `@json` type also spells), and every build proves each use with the type
 * checker (tools/bundler/renamed-properties.ts). Safe because the whole firmware is one bundle (every
 * use is renamed alike) and none of these names is spelt by anything outside it: Espruino's API, JSON
 * keys sent or read, Storage files, modules loaded with require().
 */

/**
 * Global names the minifier must not give the firmware's own top-level names: the bundle runs at
 * the interpreter's top level (see firmwareRollupOptions), where a name of its own would hide
 * Espruino's (E, the pins D0-D48) or be overwritten by what a person types at the REPL (a loop's
 * i, j, k; x, y, z, n, a, b, c, s, t, v).
 */
export const TOP_LEVEL_RESERVED = ["E", "i", "j", "k", "x", "y", "z", "n", "a", "b", "c", "s", "t", "v",
  ...Array.from({ length: 49 }, (_, i) => "D" + i)];

/**
 * The firmware's terser options; tools/bench measures modules with exactly these.
 * @param {string} [preamble] text kept above the minified code
 * @param {RegExp} [renamed] the property names to rename: the firmware's (tools/bundler/renamable.ts);
 *   by default only "_" names, for a module bundled alone (tools/bench/mqtt-bundle.ts), whose API code
 *   outside it calls by name
 */
export function firmwareTerserOptions(preamble, renamed = PRIVATE_PROPERTIES) {
  // terser reads a missing regex as "rename every property".
  if (!(renamed instanceof RegExp)) throw new TypeError("firmwareTerserOptions: renamed must be a RegExp");
  return {
    // Output syntax must stay inside Espruino's parser; the gate re-checks the result.
    ecma: 2020,
    toplevel: true,
    compress: {
      ecma: 2015,
      passes: 3,
      hoist_funs: false,
      hoist_vars: false,
      unsafe: false,
      // Function expressions become arrows (Espruino runs them, measured) when they use no `this`;
      // the firmware never calls `new` on a function expression nor reads `arguments`.
      unsafe_arrows: true,
      keep_fargs: true,
      // Inlining a function with parameters makes terser declare them as a `var` placed after
      // the use (it relies on hoisting, which Espruino lacks): inline only argument-free bodies.
      inline: 1,
    },
    mangle: {
      toplevel: true,
      reserved: TOP_LEVEL_RESERVED,
      // keep_quoted: a name also written quoted anywhere (x["open"]) keeps its spelling everywhere.
      properties: { regex: renamed, builtins: true, keep_quoted: true },
    },
    format: { comments: false, preamble },
  };
}

/**
 * @param {{ firmwareConfig: object, preamble: string, input?: string, tsconfig?: string, renamed: RegExp }} o
 *   input and tsconfig replace src/main.ts and ./tsconfig.json for the build's own test fixtures;
 *   renamed is the property names to shorten (tools/bundler/renamable.ts, from the checked program)
 * @returns {{ input: import("rollup").InputOptions, output: import("rollup").OutputOptions }}
 */
export function firmwareRollupOptions(o) {
  const tsconfig = o.tsconfig ?? "./tsconfig.json";
  const renamed = o.renamed;
  if (!(renamed instanceof RegExp)) throw new TypeError("firmwareRollupOptions: renamed must be the build's RegExp (tools/bundler/renamable.ts)");
  return {
    input: {
      input: o.input ?? "src/main.ts",
      // require("Wifi") etc. are Espruino built-ins: rollup never sees them as imports.
      plugins: [
        deviceConfig(o.firmwareConfig),
        typescriptTranspile(tsconfig),
      ],
      onwarn(warning, warn) {
        throw new Error("rollup: " + warning.message);
      },
    },
    output: {
      // Plain statements at the interpreter's top level, not wrapped in a function: Espruino keeps
      // each function's scope chain with it, and a function one level deeper carries an array of
      // scopes (about 4 JsVars more each, measured on 2v29), while one at the top level carries
      // none. About 150 JsVars for the firmware. The cost: its names are globals, so the minifier
      // keeps clear of Espruino's and the REPL's usual ones (TOP_LEVEL_RESERVED).
      format: "es",
      // The map serves the build's gate; a sourceMappingURL line would only cost the board bytes.
      sourcemap: "hidden",
      plugins: [
        terser(firmwareTerserOptions(o.preamble, renamed)),
      ],
    },
  };
}

/**
 * `rollup -c`: the build `npm run build` runs (config from TB_CONFIG or device.config.json, the
 * certificate, the type check, the gate, the size budget), written to dist/firmware.js by rollup.
 * The bundler is TypeScript, so tsx's loader is registered first (plain node cannot load .ts).
 * @returns {Promise<import("rollup").RollupOptions>}
 */
export default async function firmwareBuild() {
  register();
  const { rollupCommandOptions } = await import("./tools/bundler/build.ts");
  return rollupCommandOptions();
}
