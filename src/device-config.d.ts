// The build (tools/bundler) validates device.config.json and the server certificate, then serves this
// module to rollup as one constant per key (rollup.config.js): the firmware never parses
// configuration at run time. Only main.ts imports it (`import * as CONFIG from "device-config"`).
// The keys are FirmwareConfig's (src/config.ts), which tools/bundler/build.ts fills; they exist in the
// bundle only as constants, never as property names, so they are spelt out here rather than taken
// from that interface (the minifier may then shorten same-named properties of the firmware's own).
declare module "device-config" {
  /** Chip key of board/<board>.json: "esp32" | "esp32c3" | "esp32s3". */
  export const board: string;
  export const fwTitle: string;
  export const fwVersion: string;
  export const bundleBudget: number;
  export const wifiSsid: string;
  export const wifiPassword: string;
  export const host: string;
  export const port: number;
  export const accessToken: string;
  export const provisionKey: string;
  export const provisionSecret: string;
  export const deviceName: string;
  export const ota: boolean;
  export const telemetryIntervalMs: number;
  /** 0 none, 1 error, 2 warn, 3 info, 4 debug, 5 verbose (ESP-IDF's order). */
  export const logLevel: number;
  export const tls: boolean;
  /** The server certificate as base64 DER ("" without TLS). */
  export const caDer: string;
  export const tlsHeap: number;
  export const heapFix: string;
  export const sensor: string;
  /** GPIO numbers of the sensor's I2C pins and 1-Wire/DHT data pin, and its I2C address. */
  export const sda: number;
  export const scl: number;
  export const pin: number;
  export const i2cAddress: number;
  export const keys: string[];
  export const queueCapacity: number;
  export const sntpServer: string;
}
