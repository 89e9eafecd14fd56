// How src/ becomes dist/firmware.js: one plain script for Espruino 2v29, minified within its subset.
// The build (tools/build/build.ts) checks the config, the certificate and the types, then calls
// firmwareRollupOptions(); `rollup -c` alone is not supported because those checks must come first.
import terser from "@rollup/plugin-terser";
import ts from "typescript";

/** Serves `import CONFIG from "device-config"` from the validated settings. */
function deviceConfig(firmwareConfig) {
  const id = "\0device-config";
  return {
    name: "device-config",
    resolveId: (source) => (source === "device-config" ? id : null),
    load: (source) => (source === id ? "export default " + JSON.stringify(firmwareConfig) + ";\n" : null),
  };
}

/**
 * TypeScript to ES2020 per module with the compiler's own transpiler, honouring tsconfig.json.
 * Types are checked once before bundling (tools/build/typecheck.ts); doing it here through a
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
      const out = ts.transpileModule(code, { compilerOptions: options, fileName: id, reportDiagnostics: false });
      return { code: out.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, ""), map: out.sourceMapText };
    },
  };
}

/**
 * The firmware's terser options; tools/bench measures modules with exactly these.
 * @param {string} [preamble] text kept above the minified code
 */
export function firmwareTerserOptions(preamble) {
  return {
    // Output syntax must stay inside Espruino's parser; the gate re-checks the result.
    ecma: 2020,
    toplevel: true,
    compress: {
      ecma: 2015,
      passes: 2,
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
      // Project convention: a property whose name starts with one "_" is private to src/ and may be
      // renamed. Safe because the whole firmware is one bundle (every use is renamed alike) and
      // nothing outside it names them: Espruino's API, JSON keys sent or read, Storage files and the
      // public options/methods of src/ modules never start with "_". "__proto__"-style names are excluded.
      properties: { regex: /^_[^_]/ },
    },
    format: { comments: false, preamble },
  };
}

/**
 * @param {{ firmwareConfig: object, preamble: string, input?: string, tsconfig?: string }} o
 *   input and tsconfig replace src/main.ts and ./tsconfig.json for the build's own test fixtures.
 * @returns {{ input: import("rollup").InputOptions, output: import("rollup").OutputOptions }}
 */
export function firmwareRollupOptions(o) {
  return {
    input: {
      input: o.input ?? "src/main.ts",
      // require("Wifi") etc. are Espruino built-ins: rollup never sees them as imports.
      plugins: [
        deviceConfig(o.firmwareConfig),
        typescriptTranspile(o.tsconfig ?? "./tsconfig.json"),
      ],
      onwarn(warning, warn) {
        throw new Error("rollup: " + warning.message);
      },
    },
    output: {
      format: "iife",
      strict: false,
      sourcemap: true,
      plugins: [
        terser(firmwareTerserOptions(o.preamble)),
      ],
    },
  };
}
