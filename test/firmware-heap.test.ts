// Native heap for TLS (issue 14, docs/espruino.md §2.1, §2.3), on the real bundle: the start-up split, the W line
// before connecting when the board definition leaves too little, the E line when TLS fails for it,
// retries that back off, and readings kept until the link is up. The node engine makes TLS fail as
// a board does (heap.ts); the Linux interpreter takes TLS buffers from its JsVars, so there the
// board can only report the short heap, and TLS still connects.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createBoard, type Board, type BoardName, type EngineName, type VirtualBoard } from "../tools/vboard/index.ts";
import { loadBoard } from "../tools/common/board.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { startMosquitto, watchBroker, type Broker, type Watcher } from "./helpers/mosquitto.ts";
import { until } from "./helpers/wait.ts";

const SCALE = 20;
let dir: string;
let broker: Broker;
const fw: Partial<Record<BoardName, TestBuild>> = {};
let watcher: Watcher | undefined;
/** Telemetry payloads the broker passed on, in order. */
const telemetry = () => watcher!.seen.map((m) => m.payload);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-heap-"));
  broker = await startMosquitto({}, { anonymous: true, certHost: "localhost" });
  for (const board of ["esp32", "esp32s3"] as const) {
    fw[board] = await buildTestFirmware({ board, port: broker.port, serverCert: broker.certPath, telemetryIntervalMs: 1000 });
  }
  watcher = await watchBroker(broker, "v1/devices/me/telemetry");
});

after(async () => {
  watcher?.client.end(true);
  await broker?.close();
  for (const f of Object.values(fw)) f?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function boot(engine: EngineName, board: BoardName, memoryVariant?: string): Board {
  const b = createBoard({
    engine, board, memoryVariant, storageDir: join(dir, `${engine}-${board}-${memoryVariant}-${Math.random().toString(36).slice(2)}`),
    ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: SCALE,
  });
  b.flash(fw[board]!.code);
  b.boot();
  return b;
}

/** The waits ("retry in 1.3 s") of the disconnect lines so far, in ms. */
const waits = (out: string) => [...out.matchAll(/Disconnected from ThingsBoard .*; retry in ([\d.]+) s$/gm)].map((m) => Number(m[1]) * 1000);

const need = (board: BoardName) => loadBoard(board).device.tls.needBytes;
const remedy = (board: BoardName) => loadBoard(board).device.tls.remedy;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("a board whose native heap holds TLS", () => {
  for (const engine of ENGINES) {
    test(`${engine} engine: the start-up report gives the split, and it connects without a heap warning`, onEngine(engine), async () => {
      const b = boot(engine, "esp32");
      try {
        await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 20000);
        // wrover-2v29, the esp32 board's virtual variant: 108,000 bytes before Wi-Fi.
        assert.match(b.output, /I \(\d+\) app: \[APP\] Free memory: (\d+ of 16383 JsVars|unknown); native heap 108000 bytes free, lowest 108000$/m);
        assert.doesNotMatch(b.output, /TLS needs|Uncaught/);
      } finally {
        await b.stop();
      }
    });
  }
});

describe("a board short of native heap", () => {
  for (const engine of ENGINES) {
    test(`${engine} engine: one W line with both figures and the fix before each TLS connect`, onEngine(engine), async () => {
      const b = boot(engine, "esp32s3");
      try {
        const line = new RegExp(`^W \\(\\d+\\) tb_mqtt: native heap 32000 B free, TLS needs ~${need("esp32s3")}: ${esc(remedy("esp32s3"))}$`, "m");
        // It comes right before the connect it is about.
        await b.waitFor(/tb_mqtt: connecting to mqtts:/, 20000);
        assert.match(b.output, new RegExp(line.source.replace(/\$$/, "") + "\\nI \\(\\d+\\) tb_mqtt: connecting to mqtts://", "m"));
        if (engine === "espruino") {
          // The Linux build's TLS lives in JsVars: only the report can be short there.
          await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 20000);
        }
      } finally {
        await b.stop();
      }
    });
  }

  test("node engine: a handshake out of heap is one E line with the figures, and the retries back off", onEngine("node"), async () => {
    const b = boot("node", "esp32s3");
    try {
      const e = /^E \(\d+\) app: InternalError: mbedtls_ssl_handshake returned -0x4290: native heap 32000 B free, TLS needs ~42000: (.*)$/gm;
      await until("four failed handshakes", () => [...b.output.matchAll(e)].length >= 4, 30000);
      assert.equal([...b.output.matchAll(e)][0]![1], remedy("esp32s3"));
      assert.doesNotMatch(b.output, /Uncaught|Connected to ThingsBoard/);
      const w = waits(b.output);
      assert.ok(w.length >= 4, b.output);
      for (let i = 1; i < w.length; i++) assert.ok(w[i]! >= w[i - 1]!, `the retry waits grow: ${w.join(", ")}`);
      assert.ok(w[3]! >= 4 * w[0]!, `no retry storm: ${w.join(", ")}`);
    } finally {
      await b.stop();
    }
  });

  test("node engine: record buffers that do not fit fail at mbedtls_ssl_setup, an E line after the W line", onEngine("node"), async () => {
    const b = boot("node", "esp32", "wroom-2v29");
    try {
      await b.waitFor(/^E \(\d+\) tb_mqtt: Disconnected from ThingsBoard \(InternalError: mbedtls_ssl_setup: Not enough memory\); retry in [\d.]+ s$/m, 20000);
      assert.match(b.output, /W \(\d+\) tb_mqtt: native heap 32000 B free, TLS needs ~55000: .*\nI \(\d+\) tb_mqtt: connecting to mqtts:.*\nE \(\d+\) tb_mqtt: Disconnected/);
    } finally {
      await b.stop();
    }
  });

  test("node engine: readings wait while TLS cannot fit, and all arrive once it can", onEngine("node"), async () => {
    const b = boot("node", "esp32") as VirtualBoard;
    // Something else holds native heap from the start: 50,000 of the WROVER's 100,000 after Wi-Fi.
    const release = b.heap.hold(50_000);
    // SNTP has set the clock: readings carry their time, so the ones kept go together.
    b.stepClock();
    const from = telemetry().length;
    try {
      await b.waitFor(/mbedtls_ssl_handshake returned -0x4290/, 20000);
      await until("two failed handshakes", () => (b.output.match(/-0x4290/g) ?? []).length >= 2, 30000);
      release();
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 30000);
      // The readings taken meanwhile go in one batch, each with its own time.
      const first = await until("telemetry after the heap came back", () => telemetry()[from], 20000);
      const batch = JSON.parse(first);
      assert.ok(Array.isArray(batch) && batch.length >= 2, `queued readings sent together: ${first}`);
    } finally {
      release();
      await b.stop();
    }
  });
});

