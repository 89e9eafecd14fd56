// `npm run bench -- soak`: the firmware bundle on the virtual board publishing once a (board) second
// at a high time scale, so as fast as the link carries it, against the local endpoint over TLS, which
// is stopped and started again every few seconds. Prints readings taken, delivered, duplicated,
// lost (must be 0 while the queue never overflowed) and reconnects. SOAK_SECONDS sets the length.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_INTERVAL_MS } from "../common/index.ts";
import { buildFirmware } from "../bundler/build.ts";
import { generateSelfSigned } from "../certs/generate.ts";
import { TbEndpoint } from "../tb-endpoint/index.ts";
import { VirtualBoard } from "../vboard/index.ts";
import { writeFileSync } from "node:fs";

const TOKEN = "SOAK_TOKEN_0001";
const SCALE = 40;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoakBench(print: (line: string) => void): Promise<void> {
  const seconds = Number(process.env.SOAK_SECONDS ?? 20);
  if (!(seconds >= 5 && seconds <= 3600)) throw new Error(`SOAK_SECONDS must be 5-3600, got ${process.env.SOAK_SECONDS}`);
  const restartEveryMs = 4000;
  const dir = mkdtempSync(join(tmpdir(), "tb-soak-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  let ep = await TbEndpoint.start({ devices: [{ name: "soak", token: TOKEN }], tls: cert, http: false });
  const port = ep.ports.tls!;
  const board = new VirtualBoard({
    board: "esp32", storageDir: join(dir, "vb"), ap: { ssid: "SoakNet", password: "soak-password" }, timeScale: SCALE,
  });
  const seen: number[] = [];
  const collect = () => { for (const e of ep.telemetry("soak")) seen.push(e.ts); };
  let restarts = 0;
  try {
    const configFile = join(dir, "device.config.json");
    writeFileSync(configFile, JSON.stringify({
      board: "esp32", wifiSsid: "SoakNet", wifiPassword: "soak-password", host: "localhost", port,
      accessToken: TOKEN, telemetryIntervalMs: 1000, logLevel: "warn", serverCert: cert.certPath, queueCapacity: 150,
    }));
    const fw = await buildFirmware({ configFile, env: {}, outFile: join(dir, "firmware.js") });
    print(`bundle ${fw.bytes} bytes; ${seconds} s at time scale ${SCALE} (one reading per board second), endpoint restarted every ${restartEveryMs} ms`);
    board.flash(fw.code);
    board.boot();
    board.clock.setTime(Date.now() / 1000);
    const end = Date.now() + seconds * 1000;
    while (Date.now() + restartEveryMs < end) {
      await sleep(restartEveryMs);
      collect();
      await ep.stop();
      await sleep(300);
      ep = await TbEndpoint.start({ devices: [{ name: "soak", token: TOKEN }], tls: { ...cert, port }, http: false });
      restarts++;
    }
    await sleep(Math.max(0, end - Date.now()));
    // Stop taking readings (the longest interval, a day), let the backlog drain, then read the board's counters.
    await ep.rpc("soak", "setTelemetryInterval", MAX_INTERVAL_MS, 5000);
    let status: Record<string, number> = {};
    for (let i = 0; i < 50; i++) {
      status = (await ep.rpc("soak", "getStatus", null, 5000)) as Record<string, number>;
      if (status.queueDepth === 0) break;
      await sleep(200);
    }
    collect();
    const taken = status.sent + status.queueDepth + status.dropped;
    const unique = new Set(seen).size;
    print(`readings taken     ${taken}`);
    print(`delivered          ${unique}`);
    print(`duplicated         ${seen.length - unique} (QoS 1 resends after a cut)`);
    print(`dropped (queue)    ${status.dropped} (queue of 150 was full)`);
    print(`still queued       ${status.queueDepth}`);
    print(`lost               ${taken - status.dropped - status.queueDepth - unique}`);
    print(`reconnects         ${status.connects - 1} (endpoint restarts: ${restarts})`);
  } finally {
    await board.stop();
    await ep.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
