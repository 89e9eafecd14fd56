// Bundles src/mqtt/index.ts alone, minified with the firmware build's own terser options, so its size can
// be reported and the same code can be run on the virtual board or checked by the gate.
import { rollup, type Plugin } from "rollup";
import terserPlugin from "@rollup/plugin-terser";
import { fileURLToPath } from "node:url";
import { firmwareTerserOptions, typescriptTranspile } from "../../rollup.config.js";

// The package's typings are a CommonJS default export, which NodeNext sees as a namespace.
const terser = terserPlugin as unknown as (o: object) => Plugin;

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Returns the minified bundle: a script that sets the global `<name>` to index.ts's exports
 * ({ createClient, matches, utf8, validFilter }). It assigns `this.<name>` (the global object at top
 * level, on Espruino too) because the firmware's terser options drop an unused top-level `var`.
 */
export async function bundleMqtt(name = "MQTT"): Promise<string> {
  const bundle = await rollup({
    input: root + "src/mqtt/index.ts",
    plugins: [typescriptTranspile(root + "tsconfig.json")],
    onwarn(w) {
      throw new Error("rollup: " + w.message);
    },
  });
  try {
    const { output } = await bundle.generate({
      format: "iife",
      name,
      extend: true,
      strict: false,
      // Only "_" names (the default): code outside calls the module's API by name.
      plugins: [terser(firmwareTerserOptions(undefined))],
    });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}
