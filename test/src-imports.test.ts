// Firmware code runs inside Espruino: it may import only other firmware modules and the build's
// "device-config" constant, never Node built-ins or npm packages.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import ts from "typescript";

const SRC = join(import.meta.dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * Imports that leave the firmware: every module specifier TypeScript itself reads from the text
 * (incl. `import type` and `export … from`) that is neither "device-config" nor a path inside src/.
 * `require("Wifi")` and friends are the board's built-ins; the build's gate checks those per board.
 */
function badImports(text: string, fromDir: string): string[] {
  return ts.preProcessFile(text, true, false).importedFiles.map((f) => f.fileName).filter((spec) => {
    if (spec === "device-config") return false;
    if (!spec.startsWith(".")) return true;
    return relative(SRC, resolve(fromDir, spec)).startsWith("..");
  });
}

test("src/ imports nothing from Node or npm", () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length >= 5, "found the firmware sources");
  const offenders = files.flatMap((f) =>
    badImports(readFileSync(f, "utf8"), dirname(f)).map((s) => `${relative(SRC, f)} imports "${s}"`),
  );
  assert.deepEqual(offenders, []);
});

test("the import check catches Node and npm imports", () => {
  const text = 'import { x } from "node:fs";\nimport y from "mqtt";\nexport { z } from "../tools/a";\nimport "./ok";\nimport type { C } from "device-config";\n';
  assert.deepEqual(badImports(text, SRC), ["node:fs", "mqtt", "../tools/a"]);
});
