// Firmware entry: start-up report, then keep Wi-Fi joined; the ThingsBoard device (telemetry,
// attributes, RPC over MQTT/TLS) runs on top and is paused while the network is down.

import CONFIG from "device-config";
import { logE, logI, logW, mask, uptimeMs, watchClock } from "./log";
import { internalSensor, simulatedSensor } from "./sensors/index";
import { SHARED_KEYS, startAttributes } from "./thingsboard/attributes";
import { createLink } from "./thingsboard/link";
import { startRpc } from "./thingsboard/rpc";
import { startTelemetry } from "./thingsboard/telemetry";
import { startWifi } from "./wifi";

const TAG = "app";
const BOARD = CONFIG.board;

function report(line: string): void {
  logI(TAG, "[APP] " + line);
}

// Every ESP32-family board file defines LED1 and the ESP32 class (platform doc §2-3).
function setLed(on: boolean): void {
  digitalWrite(LED1, on);
}

process.on("uncaughtException", (e) => logE(TAG, "Uncaught " + e));

report("Startup..");
report("Firmware: tb-espruino-device " + CONFIG.fwVersion + " for " + BOARD);
report("Espruino version: " + process.version + " (" + process.env.BOARD + ")");
const mem = process.memory();
// A runtime that cannot tell (the virtual board) leaves the figure out; never print a guess.
report("Free memory: " + (typeof mem.free == "number" ? mem.free + " of " + mem.total + " JsVars" : "unknown") +
  (mem.blocksize ? ", " + mem.blocksize + " bytes each" : ""));
const heap = ESP32.getState().freeHeap;
if (typeof heap == "number") report("Free native heap: " + heap + " bytes");
report("ThingsBoard: mqtts://" + CONFIG.host + ":" + CONFIG.port + ", token " + mask(CONFIG.accessToken) +
  ", server certificate " + atob(CONFIG.caDer).length + " bytes DER");
setLed(false);
logW("tb_mqtt", "Espruino's TLS encrypts but does not verify the server certificate: the embedded one is only parsed");
watchClock();

let sensor = simulatedSensor();
if (CONFIG.sensor == "internal") {
  const s = internalSensor();
  if (s) sensor = s;
  else logW(TAG, "No usable internal temperature on " + BOARD + ": using simulated readings");
}

let ip = "";
// The link needs the telemetry's PUBACK feed and the telemetry needs the link's client: the
// callbacks look `telemetry` and `attributesOnConnect` up when they run, after both exist.
const tb = createLink(
  () => {
    attributesOnConnect();
    telemetry._connected();
  },
  (id) => telemetry._published(id),
);
const client = tb._client;
const telemetry = startTelemetry(client, sensor);
const attributesOnConnect = startAttributes(
  client,
  () => ({
    firmwareVersion: CONFIG.fwVersion,
    board: BOARD,
    espruinoVersion: process.version,
    ip: ip,
    serial: getSerial(),
    queueCapacity: CONFIG.queueCapacity,
    droppedReadings: telemetry._status().dropped,
  }),
  (shared) => {
    const ms = shared[SHARED_KEYS];
    if (ms !== undefined) telemetry._setInterval(ms, "shared attribute");
  },
);

const rpc = startRpc(client);
rpc.add("getTelemetry", telemetry._current);
rpc.add("setTelemetryInterval", (p) => {
  const e = telemetry._setInterval(p && p.telemetryIntervalMs !== undefined ? p.telemetryIntervalMs : p, "RPC");
  return e ? { error: e } : { telemetryIntervalMs: telemetry._status().intervalMs };
});
rpc.add("getStatus", () => {
  const m = process.memory();
  return Object.assign({ uptimeMs: uptimeMs(), memFree: m.free, memTotal: m.total }, tb._stats, telemetry._status());
});
rpc.add("reboot", () => {
  logW(TAG, "Reboot requested by RPC");
  setTimeout(E.reboot, 500);
  return { rebooting: true };
});

startWifi(
  (addr) => {
    setLed(true);
    logI(TAG, "Network up, IP " + addr);
    ip = addr;
    try {
      require("Wifi").setSNTP(CONFIG.sntpServer, 0);
    } catch (e) {
      logW(TAG, "SNTP: " + e);
    }
    tb._up();
  },
  (reason) => {
    setLed(false);
    logW(TAG, "Network down (" + reason + ")");
    tb._down();
  },
);
