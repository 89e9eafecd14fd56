// How src/ becomes dist/firmware.js: one plain script for Espruino 2v29, minified within its subset.
// The build (tools/build/build.ts) calls firmwareRollupOptions() with the validated configuration;
// `rollup -c` alone is not supported because the config and certificate must be checked first.
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";

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
        typescript({ tsconfig: o.tsconfig ?? "./tsconfig.json", noEmitOnError: true, outputToFilesystem: false }),
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
        terser({
          // Output syntax must stay inside Espruino's parser; the gate re-checks the result.
          ecma: 2020,
          toplevel: true,
          compress: {
            ecma: 2015,
            passes: 2,
            hoist_funs: false,
            hoist_vars: false,
            unsafe: false,
            unsafe_arrows: false,
            keep_fargs: true,
            // Inlining a function with parameters makes terser declare them as a `var` placed after
            // the use (it relies on hoisting, which Espruino lacks): inline only argument-free bodies.
            inline: 1,
          },
          mangle: { toplevel: true },
          format: { comments: false, preamble: o.preamble },
        }),
      ],
    },
  };
}
