// Firmware entry: start-up report, then keep Wi-Fi joined; the ThingsBoard device (telemetry,
// attributes, RPC over MQTT/TLS) runs on top and is paused while the network is down.

import CONFIG from "device-config";
import { logE, logI, logW, mask, setLogLevel, uptimeMs } from "./log";
import { internalSensor, simulatedSensor } from "./sensors/index";
import { startAttributes } from "./thingsboard/attributes";
import { watchClock } from "./thingsboard/clock";
import { createLink } from "./thingsboard/link";
import { startRpc } from "./thingsboard/rpc";
import { startTelemetry } from "./thingsboard/telemetry";
import { WifiLink } from "./wifi";

const TAG = "app";

setLogLevel(CONFIG.logLevel);

function reportStartup(): void {
  logI(TAG, "[APP] Startup..");
  logI(TAG, "[APP] Firmware: tb-espruino-device " + CONFIG.fwVersion + " for " + CONFIG.board);
  logI(TAG, "[APP] Espruino version: " + process.version + " (" + process.env.BOARD + ")");
  const m = process.memory();
  // A runtime that cannot tell (the virtual board) leaves the figure out; never print a guess.
  logI(TAG, "[APP] Free memory: " + (typeof m.free === "number" ? m.free + " of " + m.total + " JsVars" : "unknown") +
    (m.blocksize ? ", " + m.blocksize + " bytes each" : ""));
  if (typeof ESP32 !== "undefined") {
    const heap = ESP32.getState().freeHeap;
    if (typeof heap === "number") logI(TAG, "[APP] Free native heap: " + heap + " bytes");
  }
  logI(TAG, "[APP] ThingsBoard: mqtts://" + CONFIG.host + ":" + CONFIG.port + ", token " + mask(CONFIG.accessToken) +
    ", server certificate " + atob(CONFIG.caDer).length + " bytes DER");
}

function setLed(on: boolean): void {
  if (typeof LED1 !== "undefined") digitalWrite(LED1, on);
}

process.on("uncaughtException", function (e) {
  logE(TAG, "Uncaught " + e);
});

reportStartup();
setLed(false);
logW("tb_mqtt", "Espruino's TLS encrypts but does not verify the server certificate: the embedded one is only parsed");
watchClock();

let sensor = simulatedSensor();
if (CONFIG.sensor == "internal") {
  const s = internalSensor();
  if (s) sensor = s;
  else logW(TAG, "No usable internal temperature on " + CONFIG.board + ": using simulated readings");
}

let ip = "";
const hooks = {
  connected: () => {},
  published: (id: number) => {},
};
const tb = createLink(
  { host: CONFIG.host, port: CONFIG.port, accessToken: CONFIG.accessToken, caDer: CONFIG.caDer, clientId: getSerial() },
  hooks,
);
const telemetry = startTelemetry(tb.client, {
  keys: CONFIG.keys,
  capacity: CONFIG.queueCapacity,
  intervalMs: CONFIG.telemetryIntervalMs,
  sensor: sensor,
});
const attributes = startAttributes(tb.client, {
  info: () => ({
      firmwareVersion: CONFIG.fwVersion,
      board: CONFIG.board,
      espruinoVersion: process.version,
      ip: ip,
      serial: getSerial(),
      queueCapacity: CONFIG.queueCapacity,
      droppedReadings: telemetry.dropped(),
    }),
  sharedKeys: "telemetryIntervalMs",
  apply: (shared) => {
    if (shared.telemetryIntervalMs !== undefined) telemetry.setIntervalMs(shared.telemetryIntervalMs, "shared attribute");
  },
});
hooks.connected = () => {
  attributes.connected();
  telemetry.pump();
};
hooks.published = telemetry.published;

const rpc = startRpc(tb.client);
rpc.add("getTelemetry", telemetry.current);
rpc.add("setTelemetryInterval", (p) => {
  const e = telemetry.setIntervalMs(p && p.telemetryIntervalMs !== undefined ? p.telemetryIntervalMs : p, "RPC");
  return e ? { error: e } : { telemetryIntervalMs: telemetry.intervalMs() };
});
rpc.add("getStatus", () => {
  const m = process.memory();
  return {
    uptimeMs: uptimeMs(),
    connects: tb.stats.connects,
    disconnects: tb.stats.disconnects,
    refused: tb.stats.refused,
    queueDepth: telemetry.depth(),
    dropped: telemetry.dropped(),
    sent: telemetry.sent(),
    intervalMs: telemetry.intervalMs(),
    memFree: m.free,
    memTotal: m.total,
  };
});
rpc.add("reboot", () => {
  logW(TAG, "Reboot requested by RPC");
  setTimeout(E.reboot, 500);
  return { rebooting: true };
});

const link = new WifiLink(
  {
    ssid: CONFIG.wifiSsid,
    password: CONFIG.wifiPassword,
    connectTimeoutMs: 15000,
    retryMinMs: 1000,
    retryMaxMs: 60000,
    onUp: function (addr) {
      setLed(true);
      logI(TAG, "Network up, IP " + addr);
      ip = addr;
      try {
        require("Wifi").setSNTP(CONFIG.sntpServer, 0);
      } catch (e) {
        logW(TAG, "SNTP: " + e);
      }
      tb.up();
    },
    onDown: function (reason) {
      setLed(false);
      logW(TAG, "Network down (" + reason + ")");
      tb.down();
    },
  },
  {
    wifi: require("Wifi"),
    setTimeout: setTimeout,
    clearTimeout: clearTimeout,
    random: Math.random,
  },
);
link.start();
