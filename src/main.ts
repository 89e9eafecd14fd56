// Firmware entry: start-up report, then keep Wi-Fi joined. The ThingsBoard link plugs in at onNetworkUp.

import CONFIG from "device-config";
import { logE, logI, logW, mask, setLogLevel } from "./log";
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

const link = new WifiLink(
  {
    ssid: CONFIG.wifiSsid,
    password: CONFIG.wifiPassword,
    connectTimeoutMs: 15000,
    retryMinMs: 1000,
    retryMaxMs: 60000,
    onUp: function (ip) {
      setLed(true);
      logI(TAG, "Network up, IP " + ip);
    },
    onDown: function (reason) {
      setLed(false);
      logW(TAG, "Network down (" + reason + ")");
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
