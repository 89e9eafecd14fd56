// Bundles src/mqtt/index.ts alone, minified the way the firmware build does it, so its size can
// be reported and the same code can be run on the virtual board or checked by the gate.
import { rollup, type Plugin } from "rollup";
import typescriptPlugin from "@rollup/plugin-typescript";
import terserPlugin from "@rollup/plugin-terser";
import { fileURLToPath } from "node:url";

// Both packages' typings are CommonJS default exports, which NodeNext sees as namespaces.
const typescript = typescriptPlugin as unknown as (o: object) => Plugin;
const terser = terserPlugin as unknown as (o: object) => Plugin;

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Returns the minified bundle: a script defining `var <name> = { Client, encode, ... }`. */
export async function bundleMqtt(name = "MQTT"): Promise<string> {
  const bundle = await rollup({
    input: root + "src/mqtt/index.ts",
    plugins: [typescript({ tsconfig: root + "tsconfig.json", include: [root + "src/**/*.ts"], sourceMap: false,
      noEmitOnError: true, outputToFilesystem: false })],
    onwarn(w) {
      throw new Error("rollup: " + w.message);
    },
  });
  try {
    const { output } = await bundle.generate({
      format: "iife",
      name,
      strict: false,
      plugins: [terser({
        ecma: 2020,
        toplevel: true,
        compress: { ecma: 2015, passes: 2, hoist_funs: false, hoist_vars: false, unsafe: false, unsafe_arrows: false, keep_fargs: true },
        mangle: { toplevel: true },
        format: { comments: false },
      })],
    });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}
