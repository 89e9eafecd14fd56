// `npm run bench -- ram` on the real interpreter, shortened: the three figures are printed and
// plausible (firmware > bare TLS link > 0), telemetry arrived, and nothing went wrong on either board.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../tools/build/board.ts";
import { onEngine } from "./helpers/engines.ts";
import { run } from "./helpers/run.ts";

const CLI = join(ROOT, "tools", "bench", "cli.ts");

test("bench ram: firmware, bare link and their difference beside the MQTT module's quoted figure", onEngine("espruino"), async () => {
  const r = await run(process.execPath, ["--import", "tsx", CLI, "ram"], {
    cwd: ROOT, env: { ...process.env, RAM_SECONDS: "5" }, limitMs: 60_000,
  });
  assert.equal(r.code, 0, `exit status ${r.code}\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  const steady = /^steady \(5 s, median of 5\)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(-?\d+)$/m.exec(out);
  assert.ok(steady, `a steady-state row with six figures:\n${out}`);
  const [fw, fwBytes, link, , diff] = steady.slice(1).map(Number) as [number, number, number, number, number];
  assert.ok(link > 1000, `a TLS link takes JsVars on the Linux build (about 2,500), got ${link}`);
  assert.ok(fw > link, `the firmware (${fw}) uses more than the bare link (${link})`);
  assert.equal(diff, fw - link);
  assert.equal(fwBytes, fw * 18, "bytes = JsVars x the blocksize process.memory() reports (18 here)");
  const own = /^firmware's own RAM \(steady diff\.\)\s+(\d+)\s+(\d+)$/m.exec(out);
  assert.ok(own && Number(own[1]) === diff && diff > 0, `the firmware's own figure is the difference:\n${out}`);
  assert.match(out, /^Espruino MQTT module, same job\s+360\s+6480\s+quoted, not measured here/m);
  assert.match(out, /^booted, before Wi-Fi\s+\d+/m);
  assert.match(out, /^Wi-Fi up, TLS handshake pending\s+\d+/m);
  assert.match(out, /^firmware over the run: first \d+ .* over \d+ samples: no growth$/m);
  assert.match(out, /^telemetry at the endpoint: firmware \d+ readings in \d+ s after CONNACK; bare link 1 publish$/m);
  assert.doesNotMatch(out, /^! /m, "no Uncaught, ASSERT or error line from either interpreter");
});

test("bench ram: an unusable interpreter is one clear line and exit status 1", async () => {
  const r = await run(process.execPath, ["--import", "tsx", CLI, "ram"], {
    cwd: ROOT, env: { ...process.env, ESPRUINO_BIN: join(ROOT, "no-such-espruino") }, limitMs: 30_000,
  });
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^bench ram: no Espruino interpreter to measure on: ESPRUINO_BIN=\S+ is not an executable file: set ESPRUINO_BIN to an Espruino 2v29 Linux build/);
});
