// npm start: the one-command demo, with no board and no server needed. Uses device.config.json (or
// TB_CONFIG, or the committed example), makes a throw-away certificate when needed, starts the local
// ThingsBoard endpoint on loopback with the config's token, builds the firmware for where that endpoint
// listens, boots the bundle on a virtual board whose access point matches the config, streams the
// board's log and serves a live page (status, latest values, chart, RPC buttons). Ctrl-C stops it all.
// Everything it builds or makes goes under .vboard/, never into dist/ or certs/: a later real build or
// flash must not find the demo's bundle (built for its port) or its certificate.
// `--engine espruino` runs the board on the real interpreter's Linux build (ESPRUINO_BIN) instead of the
// node engine's imitation; the page reads the endpoint, so it is the same on both.
// `--sensor KIND` builds with that driver (TB_SENSOR) and wires the part's model to the board: values that
// drift like a room's, and a control on the page that unplugs and plugs it in (tools/demo/sensor-control.ts).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { KEY_FILE, mask, progress, ROOT } from "./common/index.ts";
import { BuildError, buildFirmware } from "./bundler/build.ts";
import { CertError } from "./bundler/cert.ts";
import { ConfigError, DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG_FILE, loadDeviceConfig } from "./bundler/config.ts";
import { ensureCertPair, LOCAL_HOSTS } from "./demo/cert-pair.ts";
import { DeviceView } from "./demo/device-view.ts";
import { startLocalEndpoint } from "./demo/local-endpoint.ts";
import { startPageServer } from "./demo/page-server.ts";
import { FIRMWARE_TITLE, packageVersion } from "./bundler/inputs.ts";
import { makePackage } from "./ota/package.ts";
import { DemoSensor, driftingValues } from "./demo/sensor-control.ts";
import { createBoard, ENGINE_NAMES, SENSOR_KINDS, type EngineName, type SensorKind } from "./vboard/index.ts";
import { espruinoBinary } from "./vboard/espruino/native.ts";

const USAGE = "usage: npm start -- [--engine node|espruino] [--seconds N] [--time-scale N] [--storage DIR] [--page-port N] [--out FILE] [--ota] [--sensor KIND]";
const DEFAULT_PAGE_PORT = 8080;
/** The demo's own folder: its bundle, its throw-away certificates, the board's Storage. */
export const DEMO_DIR = join(ROOT, ".vboard");
export const DEMO_BUNDLE = join(DEMO_DIR, "firmware.js");

function say(msg: string): void {
  console.log(`I start: ${msg}`);
}

export interface StartArgs {
  /** Which engine runs the board: "node" (default) or "espruino" (the real interpreter). */
  engine: EngineName;
  seconds: number;
  timeScale: number;
  storage?: string;
  pagePort: number;
  out?: string;
  /** Build with the update code and offer "Update firmware" on the page (a key made for this run). */
  ota: boolean;
  /** Build with this sensor driver and wire its part's model to the board (values drifting, plugged in
   *  or not from the page). Without it: the config's sensor, with its model when it names a part. */
  sensor?: SensorKind;
}

/** Parses and checks the command line; throws an Error whose message is one line naming the fix. */
export function parseStartArgs(argv: string[]): StartArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        engine: { type: "string" },
        seconds: { type: "string" },
        "time-scale": { type: "string" },
        storage: { type: "string" },
        "page-port": { type: "string" },
        out: { type: "string" },
        ota: { type: "boolean" },
        sensor: { type: "string" },
      },
    }));
  } catch (e) {
    throw new Error(`E start: ${(e as Error).message.split("\n")[0]}; ${USAGE}`);
  }
  const num = (name: string, text: string | undefined, ok: (n: number) => boolean, rule: string, dflt: number) => {
    if (text === undefined) return dflt;
    const n = Number(text);
    if (text.trim() === "" || !ok(n)) throw new Error(`E start: --${name} must be ${rule}, got "${text}"`);
    return n;
  };
  const engine = values.engine ?? "node";
  if (!(ENGINE_NAMES as readonly string[]).includes(engine)) throw new Error(`E start: --engine must be node or espruino, got "${engine}"`);
  const sensor = values.sensor;
  if (sensor !== undefined && !(SENSOR_KINDS as readonly string[]).includes(sensor)) {
    throw new Error(`E start: --sensor must be one of ${SENSOR_KINDS.join(", ")}, got "${sensor}"`);
  }
  return {
    engine: engine as EngineName,
    seconds: num("seconds", values.seconds, (n) => n > 0 && n < 1e7, "a positive number of seconds (omit it to run until Ctrl-C)", 0),
    timeScale: num("time-scale", values["time-scale"], (n) => n > 0 && n <= 1000, "a positive number (1 = real time)", 1),
    pagePort: num("page-port", values["page-port"], (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port from 0 to 65535 (0 = any free port)", DEFAULT_PAGE_PORT),
    storage: values.storage,
    out: values.out,
    ota: values.ota === true,
    sensor: sensor as SensorKind | undefined,
  };
}

async function main(argv: string[]): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.engine === "espruino") {
    // Before anything starts: without the interpreter there is nothing to run the board on.
    try {
      espruinoBinary();
    } catch (e) {
      console.error(`E start: ${(e as Error).message}`);
      return 1;
    }
  }
  const userConfig = join(ROOT, DEFAULT_CONFIG_FILE);
  const configFile = process.env.TB_CONFIG ? resolve(process.env.TB_CONFIG)
    : existsSync(userConfig) ? userConfig : join(ROOT, EXAMPLE_CONFIG_FILE);
  say(`configuration: ${configFile}${configFile.endsWith(EXAMPLE_CONFIG_FILE) ? ` (copy it to ${DEFAULT_CONFIG_FILE} to make your own)` : ""}`);

  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await f();
  };
  try {
    const { config } = loadDeviceConfig({ file: configFile });
    // Each engine keeps Storage its own way (a file per Storage file; the interpreter's espruino.flash).
    const storageDir = resolve(args.storage ?? join(DEMO_DIR, args.engine === "node" ? config.board : `${config.board}-${args.engine}`));
    // One folder per run: two demos at once never swap each other's key and certificate.
    mkdirSync(join(DEMO_DIR, "certs"), { recursive: true });
    const scratch = mkdtempSync(join(DEMO_DIR, "certs", "demo-"));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));

    const pair = ensureCertPair({ serverCert: config.serverCert, host: config.host, scratchDir: scratch });
    if (pair.note) say(pair.note);

    // A provisioning config asks the endpoint for a token under this name (built in below).
    const provision = config.provisionDeviceKey ? { key: config.provisionDeviceKey, secret: config.provisionDeviceSecret } : undefined;
    const deviceName = provision && config.deviceName ? config.deviceName : `my-${config.board}`;
    const local = await startLocalEndpoint({ deviceName, token: config.accessToken, provision, certPath: pair.certPath, keyPath: pair.keyPath, port: config.port });
    const ep = local.endpoint;
    cleanups.push(() => ep.stop());
    if (local.moved) say(`port ${config.port} is taken on this machine: the local endpoint listens on ${local.tlsPort} and the firmware is built for it`);
    say(`local ThingsBoard endpoint: mqtts://127.0.0.1:${local.tlsPort}, device "${deviceName}" ` +
      (provision ? "to be provisioned by the board" : `with token ${mask(config.accessToken)}`) + `; REST API http://127.0.0.1:${ep.ports.http}/api/devices`);
    ep.on("connect", (name: string) => say(`endpoint: ${name} connected`));
    ep.on("disconnect", (name: string, reason: string) => say(`endpoint: ${name} disconnected (${reason})`));
    ep.on("refused", (token: string, code: number) => say(`endpoint: refused a connection with token ${token} (CONNACK ${code})`));

    // Build for where the endpoint really is; the config file itself is left as it is.
    const env: Record<string, string | undefined> = { ...process.env };
    if (local.moved) env.TB_PORT = String(local.tlsPort);
    if (pair.replacesConfigured) env.TB_SERVER_CERT = pair.certPath;
    if (args.ota) env.TB_OTA = "true";
    if (provision) env.TB_DEVICE_NAME = deviceName;
    if (args.sensor) env.TB_SENSOR = args.sensor;
    // The part wired to the board: the one asked for, else the config's when it names a part.
    const part = args.sensor ?? ((SENSOR_KINDS as readonly string[]).includes(config.sensor) ? config.sensor as SensorKind : undefined);
    const bar = progress("build");
    let result;
    try {
      result = await buildFirmware({ configFile, env, outFile: args.out ? resolve(args.out) : DEMO_BUNDLE, onPhase: (what) => bar.update(what) });
    } finally {
      bar.done();
    }
    for (const w of result.warnings) console.log(w);
    console.log(`I build: ${result.sizeLine}`);

    // Updates: a key for this run only (a real board gets its own from npm run flash, docs/ota.md §2);
    // each click builds the same config as the next version and assigns it, as npm run ota would.
    const otaKey = randomBytes(32);
    let updates = 0;
    const updateFirmware = async (): Promise<string> => {
      const version = `${result.config.firmwareVersion || packageVersion()}-demo.${++updates}`;
      const built = await buildFirmware({ configFile, env: { ...env, TB_FIRMWARE_VERSION: version }, outFile: join(scratch, `firmware-${version}.js`) });
      const data = makePackage({ bundle: built.code, board: config.board, title: FIRMWARE_TITLE, version, key: otaKey });
      ep.assignFirmware(deviceName, { title: FIRMWARE_TITLE, version, data });
      return `firmware ${FIRMWARE_TITLE} ${version} (${data.length} bytes) assigned to ${deviceName}: watch fw_state`;
    };

    const view = new DeviceView({ endpoint: ep, deviceName, statusEveryMs: 5000, rpcTimeoutMs: 5000 });
    cleanups.push(() => view.close());
    let board: ReturnType<typeof createBoard> | undefined;
    const sensor = part ? new DemoSensor(part, () => board?.sensor, args.timeScale) : undefined;
    if (sensor) cleanups.push(() => sensor.close());
    const page = await startPageServer({
      view,
      keys: [config.temperatureKey, config.humidityKey],
      units: { [config.pressureKey]: "hPa" },
      sensor,
      info: { board: config.board, endpoint: `mqtts://${config.host}:${local.tlsPort} → 127.0.0.1`, configuration: configFile, telemetryIntervalMs: config.telemetryIntervalMs },
      port: args.pagePort,
      log: (line) => console.log(line),
      ...(args.ota ? { updateFirmware } : { updateUnavailable: "Start the demo with npm start -- --ota to try firmware updates" }),
    });
    cleanups.push(() => page.close());

    board = createBoard({
      engine: args.engine,
      board: config.board,
      storageDir,
      ap: { ssid: config.wifiSsid, password: config.wifiPassword },
      // The board reaches the configured host name on loopback, wherever the real server would be.
      hosts: LOCAL_HOSTS.includes(config.host) ? {} : { [config.host]: "127.0.0.1" },
      timeScale: args.timeScale,
      // The demo network answers SNTP, so readings carry real timestamps from the start.
      timeServer: true,
      echo: true,
      // Wired where the bundle looks for it: the built config's pins and address.
      ...(part ? {
        sensor: { kind: part, sda: result.config.sda, scl: result.config.scl, pin: result.config.pin, address: result.config.i2cAddress || undefined, ...driftingValues(0) },
      } : {}),
    });
    const running = board;
    cleanups.push(() => running.stop());
    if (sensor) {
      running.on("line", (line: string) => sensor.line(line));
      sensor.start();
      say(`sensor: ${part} wired to the board (values drifting like a room's; unplug and plug it in from the live page)`);
    }
    const engine = args.engine === "espruino" ? "engine espruino: the real interpreter" : "engine node";
    say(`booting ${relative(process.cwd(), result.outFile) || result.outFile} on a virtual ${config.board} (${engine}; access point "${config.wifiSsid}", storage ${storageDir})`);
    if (args.ota) running.writeFile(KEY_FILE, otaKey.toString("hex"));
    running.flash(result.code);
    running.boot();
    say(`live page: ${page.url}  (Ctrl-C stops everything)`);

    await new Promise<void>((done) => {
      const timer = args.seconds > 0 ? setTimeout(done, args.seconds * 1000) : undefined;
      const stop = () => {
        clearTimeout(timer);
        done();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    say("stopping");
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof CertError || e instanceof BuildError) {
      console.error(e.message);
      return 1;
    }
    console.error(`E start: ${(e as Error).message}`);
    return 1;
  } finally {
    await cleanup();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
