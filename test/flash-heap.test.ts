// Picking the interpreter that fits (docs/espruino.md §2.1): flash reads the board's memory split over its
// REPL and warns in one line when TLS would not find enough native heap; --install-espruino and --help
// name the build that leaves enough. The decision is pure (tools/flash/heap.ts); one end-to-end run
// per engine goes through a virtual board's REPL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { after, before, describe, test } from "node:test";
import { loadBoard, memoryVariant, ROOT } from "../tools/common/board.ts";
import { heapForTls, heapWarning, interpreterAdvice, parseSplit, releaseWarning, SPLIT_PROBE, wifiCostBytes } from "../tools/flash/heap.ts";
import { createBoard, type Board } from "../tools/vboard/index.ts";
import { startRepl } from "../tools/vboard/repl.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { run } from "./helpers/run.ts";
import { sleep } from "./helpers/wait.ts";

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), "tb-flash-heap-")); });
after(() => rmSync(dir, { recursive: true, force: true }));

const esp32 = loadBoard("esp32");
const n = (x: number) => x.toLocaleString("en");

test("a board short of native heap for TLS gets one W line with the figures, the cause and the fix", () => {
  const wroom = memoryVariant(esp32, "wroom-2v29");
  const need = esp32.device.tls.needBytes;
  assert.ok(wroom.heapAfterWifiBytes < need, "the fixture: a WROOM on 2v29 is short");
  // Wi-Fi joined: freeHeap is what TLS finds.
  const w = heapWarning(esp32, { total: 16383, freeHeap: wroom.heapAfterWifiBytes, minHeap: 31000, wifi: true }, true);
  assert.ok(w, "warns");
  assert.equal(w.split("\n").length, 1, "one line");
  assert.match(w, new RegExp(`^W flash: this interpreter leaves ${n(wroom.heapAfterWifiBytes)} bytes of native heap for TLS ` +
    `\\(16,383 JsVars, freeHeap ${n(wroom.heapAfterWifiBytes)}, minHeap 31,000\\), but one TLS connection on ESP32 needs about ${n(need)}`));
  assert.ok(w.endsWith(": " + esp32.device.tls.remedy), w);

  // Not joined yet: joining will take its buffers too, so the estimate is freeHeap less Wi-Fi's cost.
  const cost = wifiCostBytes(esp32, 16383);
  assert.equal(cost, wroom.heapReserveBytes - wroom.heapAfterWifiBytes);
  const split = { total: 16383, freeHeap: wroom.heapReserveBytes, minHeap: wroom.heapReserveBytes, wifi: false };
  assert.equal(heapForTls(esp32, split), wroom.heapReserveBytes - cost);
  assert.match(heapWarning(esp32, split, true) ?? "", new RegExp(`leaves ${n(wroom.heapReserveBytes - cost)} bytes .*freeHeap ${n(wroom.heapReserveBytes)}, ` +
    `minHeap ${n(wroom.heapReserveBytes)}; Wi-Fi not joined yet, which takes about ${n(cost)} more\\)`));
});

test("enough native heap, a config with \"tls\": false, or a board without ESP32 figures: no warning", () => {
  const need = esp32.device.tls.needBytes;
  assert.equal(heapWarning(esp32, { total: 16383, freeHeap: need, minHeap: need, wifi: true }, true), undefined);
  assert.equal(heapWarning(esp32, { total: 16383, freeHeap: need + wifiCostBytes(esp32, 16383), wifi: false }, true), undefined);
  assert.equal(heapWarning(esp32, { total: 16383, freeHeap: 1000, minHeap: 1000, wifi: true }, false), undefined, "plain MQTT needs no TLS heap");
  // Espruino's Linux build: no ESP32 global (or the stand-in's empty getState) prints placeholders.
  const linux = parseSplit(["16383", "-", "-", "-"]);
  assert.deepEqual(linux, { total: 16383, freeHeap: undefined, minHeap: undefined, wifi: undefined });
  assert.equal(heapWarning(esp32, linux, true), undefined);
  assert.equal(heapWarning(esp32, parseSplit([]), true), undefined, "an older answer without the split");
  assert.deepEqual(parseSplit(["4095", "70000", "65000", "1"]), { total: 4095, freeHeap: 70000, minHeap: 65000, wifi: true });
});

test("the C3's interpreter after 2v29 fits; its 2v29 build's JsVar count picks that build's Wi-Fi cost", () => {
  const c3 = loadBoard("esp32c3");
  const after29 = memoryVariant(c3, "c3-after-2v29");
  const split = { total: after29.jsVars, freeHeap: after29.heapReserveBytes, minHeap: after29.heapReserveBytes, wifi: false };
  assert.equal(heapWarning(c3, split, true), undefined);
  const s3 = loadBoard("esp32s3");
  const stock = memoryVariant(s3, "s3-2v29");
  assert.match(heapWarning(s3, { total: stock.jsVars, freeHeap: stock.heapAfterWifiBytes, minHeap: stock.heapAfterWifiBytes, wifi: true }, true) ?? "",
    /^W flash: .* on ESP32-S3 needs about [\d,]+, .*: .+$/);
});

test("--install-espruino and --help name the build that leaves TLS enough, per chip", () => {
  assert.match(interpreterAdvice(esp32), /^ESP32: ESP32 with PSRAM \(WROVER\), interpreter 2v29/);
  assert.match(interpreterAdvice(loadBoard("esp32c3")), /^ESP32-C3: .*interpreter built after 2v29 .*espruino\.com\/binaries\/travis\/master/);
  assert.match(interpreterAdvice(loadBoard("esp32s3")), /^ESP32-S3: no 2v29 build leaves enough native heap for TLS: /);

  const e = releaseWarning("espruino_2v29_esp32.tgz", esp32) ?? "";
  assert.match(e, /^W flash: espruino_2v29_esp32\.tgz leaves too little native heap for TLS on ESP32 without PSRAM \(WROOM.*\(about 32,000 after Wi-Fi\); one TLS connection needs about 55,000: what fits: ESP32 with PSRAM \(WROVER\), interpreter 2v29 .*\(installing it anyway\)$/);
  const c3 = releaseWarning("/x/espruino_2v29_esp32c3", loadBoard("esp32c3")) ?? "";
  assert.match(c3, /^W flash: espruino_2v29_esp32c3\.tgz may leave too little .*: what fits: .*built after 2v29 .*travis\/master/, "a folder named as the release counts too");
  const s3 = loadBoard("esp32s3");
  assert.ok(releaseWarning("espruino_2v29_esp32s3.tgz", s3)?.includes(s3.device.tls.remedy));
  assert.equal(releaseWarning("espruino_2v30_esp32c3.tgz", loadBoard("esp32c3")), undefined, "another build: nothing to say");
});

test("the split probe is one guarded expression: a board without ESP32 or Wifi prints placeholders", () => {
  assert.doesNotMatch(SPLIT_PROBE, /\n/);
  const bare = { process: { memory: () => ({ total: 16383 }) }, require: (m: string) => { throw new Error(`Module ${m} not found`); } };
  assert.equal(runInNewContext(SPLIT_PROBE, bare), "16383 - - -");
  const stub = { ...bare, ESP32: { getState: () => ({}) } };
  assert.equal(runInNewContext(SPLIT_PROBE, stub), "16383 - - -");
  const board = { ...bare, ESP32: { getState: () => ({ freeHeap: 40000, minHeap: 39000 }) }, require: () => ({ getStatus: () => ({ station: "connected" }) }) };
  assert.deepEqual(parseSplit(String(runInNewContext(SPLIT_PROBE, board)).split(" ")), { total: 16383, freeHeap: 40000, minHeap: 39000, wifi: true });
});

test("flash --help lists the build per chip", async () => {
  const r = await run("bash", [join(ROOT, "flash.sh"), "--help"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {4}ESP32-C3: .*built after 2v29/m);
  assert.match(r.stdout, /^ {4}ESP32-S3: no 2v29 build/m);
});

// --- end to end: npm run flash against a virtual board's REPL ------------------------------------

/** The value of `expr` on either engine's board. */
async function evaluate(vb: Board, expr: string): Promise<unknown> {
  return vb.engine === "node" ? vb.evaluate(expr).value : await vb.evaluate(expr);
}

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("flash warns for an ESP32 WROOM on 2v29 (too little native heap for TLS) and uploads; not for the WROVER", async () => {
    const file = join(dir, `tiny-${engine}.js`);
    writeFileSync(file, "// tb-espruino-device 0.1.0 board=esp32\nprint(1);\n");
    const flashOn = async (memoryVariant?: string) => {
      const vb = createBoard({ engine, board: "esp32", storageDir: join(dir, `${engine}-${memoryVariant ?? "default"}`), memoryVariant,
        ap: { ssid: "TestNet", password: "correct-horse" }, telnet: true });
      vb.boot();
      try {
        // A board that has joined Wi-Fi (e.g. running earlier firmware): freeHeap is what TLS would find.
        await evaluate(vb, `require("Wifi").connect("TestNet",{password:"correct-horse"})`);
        for (let i = 0; (await evaluate(vb, `require("Wifi").getStatus().station`)) !== "connected"; i++) {
          if (i > 200) throw new Error("the virtual board did not join Wi-Fi");
          await sleep(25);
        }
        const repl = await startRepl(vb);
        try {
          // No config (TB_CONFIG names none): the bundle is flashed as it is, with TLS assumed.
          return await run("bash", [join(ROOT, "flash.sh"), "--port", repl.url, "--board", "esp32", "--file", file],
            { cwd: dir, env: { ...process.env, NO_COLOR: "1", TB_CONFIG: join(dir, "no-config.json") }, limitMs: 40_000 });
        } finally {
          await repl.close();
        }
      } finally {
        await vb.stop();
      }
    };

    const wroom = memoryVariant(esp32, "wroom-2v29");
    const short = await flashOn("wroom-2v29");
    assert.equal(short.code, 0, short.stdout + short.stderr);
    const w = short.stderr.split("\n").filter((l) => l.startsWith("W flash: this interpreter"));
    assert.equal(w.length, 1, short.stderr);
    const total = engine === "node" ? wroom.jsVars : 16383;
    assert.match(w[0], new RegExp(`^W flash: this interpreter leaves ${n(wroom.heapAfterWifiBytes)} bytes of native heap for TLS ` +
      `\\(${n(total)} JsVars, freeHeap ${n(wroom.heapAfterWifiBytes)}, minHeap [\\d,]+\\), but one TLS connection on ESP32 needs about ` +
      `${n(esp32.device.tls.needBytes)}, .*: ${esp32.device.tls.remedy.replace(/[()]/g, "\\$&")}$`));
    assert.match(short.stdout, /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m, "the upload still proceeds");

    const fits = await flashOn(undefined);
    assert.equal(fits.code, 0, fits.stdout + fits.stderr);
    assert.doesNotMatch(fits.stderr, /native heap/);
    assert.match(fits.stdout, /^I flash: done: esp32 stored \d+ bytes in \.bootcde/m);
  });
});
