// Bundles a unit fixture (test/fixtures/units/<name>.ts: imports src/ modules and drives them with
// settings of its own) as the firmware build would: the same TypeScript transpile and terser options
// (as tools/bench/mqtt-bundle.ts does for the MQTT client), into one script that runs on both engines
// of the virtual board and prints what the test asserts. Before bundling, the fixtures are
// type-checked with src/ under the firmware's compiler settings (Espruino's ambient types, no Node);
// after, the bundle must pass the Espruino gate, so a fixture cannot fail on the board for a
// construct the interpreter lacks rather than for what it tests.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rollup, type Plugin } from "rollup";
import terserPlugin from "@rollup/plugin-terser";
import { firmwareTerserOptions, typescriptTranspile } from "../../rollup.config.js";
import { checkBundle, formatViolation } from "../../tools/bundler/gate/index.ts";
import { typecheckFirmware } from "../../tools/bundler/typecheck.ts";

// The package's typings are a CommonJS default export, which NodeNext sees as a namespace.
const terser = terserPlugin as unknown as (o: object) => Plugin;

const root = fileURLToPath(new URL("../../", import.meta.url));
const UNITS = root + "test/fixtures/units/";
const TSCONFIG = UNITS + "tsconfig.json";

let typechecked: Promise<void> | undefined;

/** Type-checks src/ and every fixture once per process; rejects with the compiler's lines. */
function typecheckUnits(): Promise<void> {
  typechecked ??= Promise.resolve().then(() => {
    const { problems } = typecheckFirmware(TSCONFIG, root);
    if (problems.length) throw new Error("unit fixtures do not type-check:\n" + problems.join("\n"));
  });
  return typechecked;
}

/** A JS literal with every non-ASCII char escaped: the program text on the board stays ASCII. */
function literal(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

const minified = new Map<string, Promise<string>>();

/** The fixture's minified bundle, made once per process. */
function minify(name: string): Promise<string> {
  let code = minified.get(name);
  if (!code) minified.set(name, (code = typecheckUnits().then(() => bundle(name))));
  return code;
}

async function bundle(name: string): Promise<string> {
  const b = await rollup({
    input: UNITS + name + ".ts",
    plugins: [typescriptTranspile(TSCONFIG)],
    onwarn(w) {
      throw new Error("rollup: " + w.message);
    },
  });
  try {
    const { output } = await b.generate({
      format: "iife",
      strict: false,
      // The firmware's options; only "_" names renamed (the default), as for a module bundled alone.
      plugins: [terser(firmwareTerserOptions(undefined))],
    });
    return output[0].code;
  } finally {
    await b.close();
  }
}

/**
 * The script for fixture `name` (test/fixtures/units/<name>.ts): `var SETTINGS = <settings>;` (the
 * fixture reads the global SETTINGS: the test's own choice of settings) followed by the minified
 * bundle. Throws when the fixtures do not type-check or the script fails the gate for `board`.
 */
export async function bundleUnit(name: string, settings: object, board = "esp32c3"): Promise<string> {
  const code = "var SETTINGS = " + literal(settings) + ";\n" + (await minify(name));
  const json = JSON.parse(readFileSync(root + `board/${board}.json`, "utf8"));
  const violations = checkBundle(code, { builtinModules: json.info.builtin_modules });
  if (violations.length) throw new Error(`unit fixture ${name} fails the gate:\n` + violations.map(formatViolation).join("\n"));
  return code;
}
