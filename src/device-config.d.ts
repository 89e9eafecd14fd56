// The build (tools/build) validates device.config.json and the server certificate, then serves this
// module to rollup as one constant per key (rollup.config.js): the firmware never parses
// configuration at run time. Only main.ts imports it (`import * as CONFIG from "device-config"`).
declare module "device-config" {
  type C = import("./config").FirmwareConfig;
  export const board: C["board"];
  export const fwVersion: C["fwVersion"];
  export const wifiSsid: C["wifiSsid"];
  export const wifiPassword: C["wifiPassword"];
  export const host: C["host"];
  export const port: C["port"];
  export const accessToken: C["accessToken"];
  export const telemetryIntervalMs: C["telemetryIntervalMs"];
  export const logLevel: C["logLevel"];
  export const tls: C["tls"];
  export const caDer: C["caDer"];
  export const tlsHeap: C["tlsHeap"];
  export const heapFix: C["heapFix"];
  export const sensor: C["sensor"];
  export const keys: C["keys"];
  export const queueCapacity: C["queueCapacity"];
  export const sntpServer: C["sntpServer"];
}
