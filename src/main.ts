// Firmware entry: start-up report, then keep Wi-Fi joined; the ThingsBoard device (telemetry,
// attributes, RPC over MQTT/TLS) runs on top and is paused while the network is down.
// The only reader of the build's settings (CONFIG): every module gets what it needs as arguments.

import * as CONFIG from "device-config";
import { heapShort, outOfHeap } from "./heap";
import { ERROR, INFO, log, setLogLevel, uptimeMs, watchClock, WARN } from "./log";
import { bme280 } from "./sensors/bme280";
import { dht22 } from "./sensors/dht22";
import { ds18b20 } from "./sensors/ds18b20";
import { internalSensor } from "./sensors/internal";
import type { Sensor } from "./sensors/sensor";
import { sht3x } from "./sensors/sht3x";
import { sht4x } from "./sensors/sht4x";
import { simulatedSensor } from "./sensors/simulated";
import { publishAttributes, startAttributes } from "./thingsboard/attributes";
import { isObj, own } from "./thingsboard/inbound";
import { createLink } from "./thingsboard/link";
import { firmwareConnected, FW_KEYS, offerFirmware, startOta } from "./thingsboard/ota";
import type { Provisioner } from "./thingsboard/link";
import type { Socket } from "./mqtt/index";
import { forgetToken, provision, storedToken } from "./thingsboard/provision";
import { startRpc } from "./thingsboard/rpc";
import { startTelemetry, telemetry } from "./thingsboard/telemetry";
import { INTERVAL_KEY } from "./thingsboard/topics";
import { startWifi, stationIp } from "./wifi";

const BOARD = CONFIG.board;
const ESPRUINO = process.version;
/** The board's serial number: the MQTT client id, and a client attribute. */
const SERIAL = getSerial();

setLogLevel(CONFIG.logLevel);

/** The C example's first line, then what the person at the serial monitor checks first: which
 *  build, and how much memory is left. In a function, so that the figures it reads do not stay in
 *  RAM afterwards. */
function reportStart(): void {
  // Read before the first line prints.
  const mem = process.memory();
  const heap = ESP32.getState();
  log(INFO, "app: [APP] Startup.. tb-espruino-device " + CONFIG.fwVersion + " for " + BOARD + ", Espruino " + ESPRUINO);
  // The split the interpreter made at boot: JsVars for JavaScript, native heap for Wi-Fi and TLS
  // (docs/espruino.md §2.1). A runtime that cannot count its JsVars leaves them out; never print a guess.
  log(INFO, "app: [APP] Free memory: " + (typeof mem.free == "number" ? mem.free + " of " + mem.total + " JsVars" : "unknown") +
    `; native heap ${heap.freeHeap} bytes free, lowest ${heap.minHeap}`);
}
reportStart();
watchClock();

/** The config's sensor. The build knows which: the other drivers are not in the bundle. */
function pickSensor(): Sensor {
  const s = CONFIG.sensor;
  if (s == "sht3x") return sht3x(CONFIG.sda, CONFIG.scl, CONFIG.i2cAddress);
  if (s == "sht4x") return sht4x(CONFIG.sda, CONFIG.scl, CONFIG.i2cAddress);
  if (s == "bme280") return bme280(CONFIG.sda, CONFIG.scl, CONFIG.i2cAddress);
  if (s == "ds18b20") return ds18b20(CONFIG.pin);
  if (s == "dht22") return dht22(CONFIG.pin);
  if (s == "internal") {
    const internal = internalSensor();
    if (internal) return internal;
    log(WARN, "app: No usable internal temperature on " + BOARD + ": using simulated readings");
  }
  return simulatedSensor();
}
const sensor = pickSensor();

// Once per boot, so nobody takes the embedded certificate, or a plain link, for protection it does
// not give.
log(WARN, "tb_mqtt: " + (CONFIG.tls ? "TLS does not verify the server certificate"
  : "\"tls\": false: the access token and telemetry cross the network in clear; only on a network you trust"));

// Espruino's tls wants the certificate's DER bytes (docs/espruino.md §3.3), made only when connecting
// so that the embedded copy stays in the bundle (flash), not RAM.
const openSocket: (cb: () => void) => Socket = CONFIG.tls
  ? (cb) => require("tls").connect({ host: CONFIG.host, port: CONFIG.port, ca: atob(CONFIG.caDer) }, cb)
  : (cb) => require("net").connect({ host: CONFIG.host, port: CONFIG.port }, cb);

// The link feeds the telemetry's PUBACKs, and the telemetry sends through the link's client: the
// telemetry's functions exist before it is started.
const tb = createLink(
  {
    openSocket: openSocket,
    url: (CONFIG.tls ? "mqtts://" : "mqtt://") + CONFIG.host + ":" + CONFIG.port,
    // A provisioned board's token is in Storage from an earlier boot, or is asked for first.
    token: CONFIG.provisionKey ? storedToken() : CONFIG.accessToken,
    clientId: SERIAL,
    tlsHeap: CONFIG.tls ? CONFIG.tlsHeap : 0,
    heapFix: CONFIG.heapFix,
  },
  () => {
    const st = telemetry.status();
    publishAttributes(client, {
      firmwareVersion: CONFIG.fwVersion,
      board: BOARD,
      espruinoVersion: ESPRUINO,
      ip: stationIp(),
      serial: SERIAL,
      droppedReadings: st.dropped,
      sensor: sensor.name,
      sensorErrors: st.sensorErrors,
      sensorBadReadings: st.sensorBadReadings,
    }, CONFIG.ota ? INTERVAL_KEY + "," + FW_KEYS : INTERVAL_KEY);
    if (CONFIG.ota) firmwareConnected();
    telemetry.connected();
  },
  telemetry.published,
  CONFIG.provisionKey
    ? <Provisioner>{
      run: (done) => provision({
        openSocket: openSocket,
        clientId: SERIAL,
        request: {
          // ThingsBoard names the device after it; one made from the serial tells boards apart.
          deviceName: CONFIG.deviceName || BOARD + "-" + SERIAL.replace(/\W/g, "").slice(-12),
          provisionDeviceKey: CONFIG.provisionKey,
          provisionDeviceSecret: CONFIG.provisionSecret,
        },
      }, done),
      forget: forgetToken,
    }
    : undefined,
);
const client = tb.client;
// A TLS handshake that ran out of native heap reaches JavaScript only this way (docs/espruino.md §2.3).
process.on("uncaughtException", (e) =>
  log(ERROR, "app: " + (outOfHeap(e) ? e + ": " + heapShort(CONFIG.tlsHeap, CONFIG.heapFix) : "Uncaught " + e)));
startTelemetry(client, sensor, {
  intervalMs: CONFIG.telemetryIntervalMs,
  keys: CONFIG.keys,
  queueCapacity: CONFIG.queueCapacity,
});
startAttributes(client, telemetry.setIntervalMs, CONFIG.ota ? offerFirmware : undefined);
if (CONFIG.ota) {
  startOta(client, { title: CONFIG.fwTitle, version: CONFIG.fwVersion, board: BOARD, budget: CONFIG.bundleBudget });
}

// The built-in methods. Add your own as entries here (a handler gets the request's params and
// returns the answer).
startRpc(client, {
  getTelemetry: telemetry.current,
  // ThingsBoard widgets send the number itself or {"telemetryIntervalMs": n}; setIntervalMs checks it.
  setTelemetryInterval: (p) => telemetry.setIntervalMs(isObj(p) ? own(p, INTERVAL_KEY) : p, "RPC"),
  getStatus: () => {
    const m = process.memory();
    return Object.assign({ uptimeMs: uptimeMs(), memFree: m.free, memTotal: m.total }, tb.stats, telemetry.status());
  },
  reboot: () => {
    log(WARN, "app: Reboot by RPC");
    setTimeout(E.reboot, 500);
    return { rebooting: true };
  },
});

startWifi({ ssid: CONFIG.wifiSsid, password: CONFIG.wifiPassword, sntpServer: CONFIG.sntpServer }, tb);
