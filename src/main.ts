// Firmware entry: start-up report, then keep Wi-Fi joined; the ThingsBoard device (telemetry,
// attributes, RPC over MQTT/TLS) runs on top and is paused while the network is down.

import CONFIG from "device-config";
import { heapShort, outOfHeap } from "./heap";
import { logE, logI, logW, uptimeMs, watchClock } from "./log";
import { internalSensor, simulatedSensor } from "./sensors/index";
import { startAttributes } from "./thingsboard/attributes";
import { isObj, own } from "./thingsboard/inbound";
import { createLink, SERIAL } from "./thingsboard/link";
import { startRpc } from "./thingsboard/rpc";
import { startTelemetry } from "./thingsboard/telemetry";
import { INTERVAL_KEY } from "./thingsboard/topics";
import { startWifi } from "./wifi";

const TAG = "app";
const BOARD = CONFIG.board;
const ESPRUINO = process.version;

// Every ESP32-family board file defines LED1 and the ESP32 class (platform doc §2-3).
const setLed = (on: number) => digitalWrite(LED1, on);
// Taken before the first line below prints (the bundle then declares them with the constants).
const mem = process.memory();
const heap = ESP32.getState();

// The C example's first line, then what the person at the serial monitor checks first: which build,
// and how much memory is left.
logI(TAG, "[APP] Startup.. tb-espruino-device " + CONFIG.fwVersion + " for " + BOARD + ", Espruino " + ESPRUINO);
// The split the interpreter made at boot: JsVars for JavaScript, native heap for Wi-Fi and TLS
// (platform doc §2). A runtime that cannot count its JsVars leaves them out; never print a guess.
logI(TAG, "[APP] Free memory: " + (typeof mem.free == "number" ? mem.free + " of " + mem.total + " JsVars" : "unknown") +
  `; native heap ${heap.freeHeap} bytes free, lowest ${heap.minHeap}`);
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
// A TLS handshake that ran out of native heap reaches JavaScript only this way (platform doc §2).
process.on("uncaughtException", (e) => logE(TAG, outOfHeap(e) ? e + ": " + heapShort() : "Uncaught " + e));
const telemetry = startTelemetry(client, sensor);
const attributesOnConnect = startAttributes(
  client,
  () => ({
    firmwareVersion: CONFIG.fwVersion,
    board: BOARD,
    espruinoVersion: ESPRUINO,
    ip: ip,
    serial: SERIAL,
    droppedReadings: telemetry._status().dropped,
  }),
  telemetry._setInterval,
);

// The built-in methods. Add your own as entries here, or keep what startRpc returns and call its
// add(method, handler) later.
startRpc(client, {
  getTelemetry: telemetry._current,
  // ThingsBoard widgets send the number itself or {"telemetryIntervalMs": n}; _setInterval checks it.
  setTelemetryInterval: (p) => telemetry._setInterval(isObj(p) ? own(p, INTERVAL_KEY) : p, "RPC"),
  getStatus: () => {
    const m = process.memory();
    return Object.assign({ uptimeMs: uptimeMs(), memFree: m.free, memTotal: m.total }, tb._stats, telemetry._status());
  },
  reboot: () => {
    logW(TAG, "Reboot by RPC");
    setTimeout(E.reboot, 500);
    return { rebooting: true };
  },
});

startWifi(
  (addr) => {
    setLed(1);
    ip = addr;
    tb._up();
  },
  () => {
    setLed(0);
    tb._down();
  },
);
