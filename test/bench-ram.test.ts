// `npm run bench -- ram --publishes 60` on the real interpreter, one run for three checks: the
// comparison's figures are printed and plausible (firmware > bare TLS link > 0) with nothing gone wrong
// on any board, and the firmware's own RAM is within issue 10's budget; the per-part breakdown is printed
// and its parts add up to the boot figure of the un-instrumented run; usage after the 60th publish equals
// usage after the first within 5 JsVars. Then the command line: bad values are one line naming the fix.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { RAM_BUDGET_JSVARS } from "../tools/bench/ram.ts";
import { ROOT } from "../tools/common/board.ts";
import { onEngine } from "./helpers/engines.ts";
import { run, type RunResult } from "./helpers/run.ts";

const CLI = join(ROOT, "tools", "bench", "cli.ts");
const PUBLISHES = 60;
/** JsVars the sum of the parts may differ from the un-instrumented boot figure by: the two runs
 *  sample "booted" at the same moment of start-up, but a timer may fall either side of it. */
const PARTS_TOLERANCE = 8;

describe(`bench ram --publishes ${PUBLISHES}`, onEngine("espruino"), () => {
  let r: RunResult;
  let out = "";
  before(async () => {
    r = await run(process.execPath, ["--import", "tsx", CLI, "ram", "--publishes", String(PUBLISHES)], {
      cwd: ROOT, env: process.env, limitMs: 170_000,
    });
    out = r.stdout;
  });

  test("firmware, bare link and their difference beside the MQTT module's quoted figure", () => {
    assert.equal(r.code, 0, `exit status ${r.code}\n${r.stdout}\n${r.stderr}`);
    const steady = new RegExp(`^steady \\(${PUBLISHES} publishes, median of 5\\)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(-?\\d+)\\s+(-?\\d+)$`, "m").exec(out);
    assert.ok(steady, `a steady-state row with six figures:\n${out}`);
    const [fw, fwBytes, link, , diff] = steady.slice(1).map(Number) as [number, number, number, number, number];
    assert.ok(link > 1000, `a TLS link takes JsVars on the Linux build (about 2,500), got ${link}`);
    assert.ok(fw > link, `the firmware (${fw}) uses more than the bare link (${link})`);
    assert.equal(diff, fw - link);
    assert.equal(fwBytes, fw * 18, "bytes = JsVars x the blocksize process.memory() reports (18 here)");
    const own = /^firmware's own RAM \(steady diff\.\)\s+(\d+)\s+(\d+)$/m.exec(out);
    assert.ok(own && Number(own[1]) === diff && diff > 0, `the firmware's own figure is the difference:\n${out}`);
    assert.ok(diff <= RAM_BUDGET_JSVARS, `the firmware holds ${diff} JsVars of its own above the bare TLS link, over issue 10's ` +
      `budget of ${RAM_BUDGET_JSVARS}; the breakdown below shows where they go:\n${out}`);
    assert.match(out, new RegExp(`^issue 10's budget\\s+${RAM_BUDGET_JSVARS}\\s+${RAM_BUDGET_JSVARS * 18}\\s+within it, ${RAM_BUDGET_JSVARS - diff} to spare$`, "m"));
    assert.match(out, /^Espruino MQTT module, same job\s+360\s+6480\s+quoted, not measured here/m);
    assert.match(out, /^booted, before Wi-Fi\s+\d+/m);
    assert.match(out, /^Wi-Fi up, TLS handshake pending\s+\d+/m);
    assert.match(out, /^firmware over the run: first \d+ .* over \d+ samples: no growth$/m);
    assert.match(out, /^telemetry at the endpoint: firmware \d+ readings in \d+ s after CONNACK; bare link 1 publish$/m);
    assert.doesNotMatch(out, /^! /m, "no Uncaught, ASSERT or error line from any interpreter");
  });

  test("the breakdown: JsVars per src/ module and main.ts step, adding up to the boot figure", () => {
    const lines = out.split("\n");
    const head = lines.findIndex((l) => /^where the firmware's JsVars go at boot: .* each probe's own -?\d+ JsVars subtracted$/.test(l));
    assert.ok(head >= 0, `the breakdown's heading:\n${out}`);
    assert.match(lines[head + 1]!, /^ {2}part\s+JsVars$/);
    const sumAt = lines.findIndex((l) => /^ {2}at boot, sum of the parts\s+-?\d+$/.test(l));
    assert.ok(sumAt > head + 2, `a sum row after the parts:\n${out}`);
    const parts = lines.slice(head + 2, sumAt).map((l) => {
      const m = /^ {2}(\S.*?)\s+(-?\d+)$/.exec(l);
      assert.ok(m, `a part row: ${JSON.stringify(l)}`);
      return { label: m[1]!, jsvars: Number(m[2]) };
    });
    const labels = parts.map((p) => p.label);
    assert.ok(labels.includes("src/log.ts"), `a row per src/ module, e.g. src/log.ts: ${labels.join(", ")}`);
    assert.ok(labels.some((l) => /^main\.ts: [\w.]+\(\.\.\.\)$/.test(l)), `main.ts steps by the function they call: ${labels.join(", ")}`);
    assert.match(labels[0]!, /^(bundle wrapper \(the IIFE and its scope\)|loading the bundle, before its first statement)$/);
    assert.equal(labels[labels.length - 1], "start-up's timers and callbacks, until booted");
    const sum = Number(/(-?\d+)$/.exec(lines[sumAt]!)![1]);
    assert.equal(parts.reduce((s, p) => s + p.jsvars, 0), sum, "the sum row is the sum of the rows above it");
    const plain = /^ {2}at boot, un-instrumented \(comparison run\)\s+(\d+)\s+booted minus the base before \.bootcde; parts differ by ([+-]\d+)$/m.exec(out);
    assert.ok(plain, `the un-instrumented boot figure beside the sum:\n${out}`);
    assert.equal(Number(plain[2]), sum - Number(plain[1]));
    assert.ok(Math.abs(sum - Number(plain[1])) <= PARTS_TOLERANCE,
      `the parts (${sum}) add up to the un-instrumented boot figure (${plain[1]}) within ${PARTS_TOLERANCE} JsVars`);
    assert.match(out, /^ {2}added once connected \(booted -> steady\)\s+\d+\s+socket, subscriptions, in-flight data; bare TLS link \d+$/m);
    const rec = /^ {2}firmware's own RAM (\d+) = at boot (\d+) \+ beyond the bare link once connected (-?\d+) - the bare link's program at boot (\d+)( \+ base difference (-?\d+))?$/m.exec(out);
    assert.ok(rec, `the own-RAM figure as boot part + session part - the bare link's program:\n${out}`);
    const [ownRam, boot, beyond, linkBoot] = rec.slice(1, 5).map(Number) as [number, number, number, number];
    assert.equal(ownRam, boot + beyond - linkBoot + Number(rec[6] ?? 0));
  });

  test(`usage after publish ${PUBLISHES} equals usage after the first within 5 JsVars`, () => {
    assert.match(out, new RegExp(`^publishes: the endpoint acknowledged ${PUBLISHES} telemetry publishes from the firmware, one a second;`, "m"));
    const m = new RegExp(`^usage after the first publish: (\\d+) JsVars \\((\\d+) acknowledged by then\\); after publish ${PUBLISHES}: (\\d+) JsVars \\(${PUBLISHES}, \\d+ s later\\); difference ([+-]\\d+): (.*)$`, "m").exec(out);
    assert.ok(m, `the publishes line:\n${out}`);
    const [first, , last, d] = m.slice(1, 5).map(Number) as [number, number, number, number];
    assert.equal(d, last - first);
    assert.ok(Math.abs(d) <= 5, `usage after publish ${PUBLISHES} (${last}) equals usage after the first (${first}) within 5 JsVars` +
      (d < 0 ? ": it shrank, so something held after the first publish was let go later (a one-shot timer armed at CONNACK?)" : ""));
    assert.equal(m[5], "within 5 JsVars");
  });
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

test("bench: a bad argument is one line naming the fix, exit status 2, before anything runs", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["ram", "--publishes", "ten"], /^bench: --publishes must be a whole number 2-100000, got "ten": e\.g\. --publishes 1000$/],
    [["ram", "--publishes", "1"], /^bench: --publishes must be a whole number 2-100000, got "1": /],
    [["ram", "--publishes=1e3"], /^bench: --publishes must be a whole number 2-100000, got "1e3": /],
    [["ram", "--publishes"], /^bench: Option '--publishes <value>' argument missing: usage: npm run bench -- \[latency\|mqtt\|ram\|size\|soak \.\.\.\] \[--publishes N\] \[--ota\]$/],
    [["size", "--publishes", "10"], /^bench: --publishes applies to the ram suite: npm run bench -- ram --publishes 10$/],
    [["size", "--ota"], /^bench: --ota applies to the ram suite: npm run bench -- ram --ota$/],
    [["ram", "--ota=yes"], /^bench: Option '--ota' does not take an argument: usage: npm run bench -- /],
    [["ram", "--seconds", "5"], /^bench: Unknown option '--seconds': usage: npm run bench -- /],
    [["rom"], /^bench: unknown suite rom: choose from latency, mqtt, ram, size, soak$/],
  ];
  await Promise.all(cases.map(async ([args, expected]) => {
    const r = await run(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, limitMs: 30_000 });
    assert.equal(r.code, 2, `${args.join(" ")}: exit status\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, "", `${args.join(" ")}: nothing ran`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: one line\n${r.stderr}`);
    assert.match(lines[0]!, expected);
  }));
});
