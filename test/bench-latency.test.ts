// `npm run bench -- latency`: time to first telemetry is printed per engine (node always, espruino
// when the real interpreter is there), and the moments come in order: firmware start < Wi-Fi joined <
// CONNACK < first telemetry PUBACK. The figures themselves are not asserted.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../tools/common/board.ts";
import { espruinoBin } from "./helpers/engines.ts";
import { run } from "./helpers/run.ts";

const CLI = join(ROOT, "tools", "bench", "cli.ts");

test("bench latency: boot -> Wi-Fi joined -> CONNACK -> first telemetry PUBACK, per engine, in order", async () => {
  const withEspruino = !!espruinoBin();
  const r = await run(process.execPath, ["--import", "tsx", CLI, "latency"], { cwd: ROOT, env: process.env, limitMs: 150_000 });
  assert.equal(r.code, 0, `exit status ${r.code}\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  assert.match(out, /^firmware: \d+-byte bundle for esp32, telemetry interval 5000 ms \(the default\)/m);
  const header = /^ms after the firmware started\s+(.*)$/m.exec(out);
  assert.ok(header, `the table's heading:\n${out}`);
  const engines = header[1]!.trim().split(/\s+/);
  assert.deepEqual(engines, ["node", "espruino"]);
  const row = (label: string): Array<number | undefined> => {
    const m = new RegExp(`^${label.replace(/[()'.]/g, "\\$&")}\\s+(\\S+)\\s+(\\S+)$`, "m").exec(out);
    assert.ok(m, `a "${label}" row with a figure per engine:\n${out}`);
    return [m[1], m[2]].map((v) => (v === "-" ? undefined : Number(v)));
  };
  const boot = row("firmware started (its first line)");
  const joined = row("Wi-Fi joined");
  const connack = row("CONNACK");
  const puback = row("first telemetry PUBACK (endpoint's receipt)");
  row("  CONNACK -> first telemetry PUBACK");
  for (const [i, engine] of engines.entries()) {
    if (engine === "espruino" && !withEspruino) {
      assert.match(out, /^espruino: not run: /m);
      continue;
    }
    const moments = [boot[i], joined[i], connack[i], puback[i]];
    assert.ok(moments.every((v) => v !== undefined), `${engine}: every moment measured:\n${out}`);
    const [b, j, c, p] = moments as number[];
    assert.equal(b, 0);
    assert.ok(b < j && j < c && c < p, `${engine}: boot ${b} < joined ${j} < CONNACK ${c} < first PUBACK ${p}`);
  }
  assert.doesNotMatch(out, /^! /m, "no missing moment and no error line from a board");
});
