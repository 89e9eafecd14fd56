// The MQTT module as the firmware build minifies it passes the Espruino compatibility gate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkBundle, formatViolation } from "../tools/bundler/gate/index.ts";
import { bundleMqtt } from "../tools/bench/mqtt-bundle.ts";

test("bundled src/mqtt passes the gate for every board and stays below Espruino's 6.1 KB MQTT module", async () => {
  const code = await bundleMqtt();
  for (const board of ["esp32", "esp32c3", "esp32s3"]) {
    const json = JSON.parse(readFileSync(new URL(`../board/${board}.json`, import.meta.url), "utf8"));
    const violations = checkBundle(code, { builtinModules: json.info.builtin_modules });
    assert.deepEqual(violations.map(formatViolation), [], board);
  }
  assert.ok(code.length < 6.1 * 1024, `minified size ${code.length} B`);
});
