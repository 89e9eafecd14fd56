/** What the build embeds in the bundle; toFirmwareConfig in tools/bundler/build.ts makes it from the user's config. */
export interface FirmwareConfig {
  /** Chip key of board/<board>.json: "esp32" | "esp32c3" | "esp32s3". */
  board: string;
  /** What the board reports as current_fw_title and current_fw_version (docs/ota.md). */
  fwTitle: string;
  fwVersion: string;
  /** The largest bundle the board takes (board/<chip>.json), which an update must not exceed. */
  bundleBudget: number;
  wifiSsid: string;
  wifiPassword: string;
  host: string;
  port: number;
  /** "" when the board provisions itself with provisionKey and provisionSecret (docs/thingsboard.md §5). */
  accessToken: string;
  provisionKey: string;
  provisionSecret: string;
  /** The name to provision under; "" for one made from the chip's serial. */
  deviceName: string;
  /** The update code (docs/ota.md) is in the bundle only when true. */
  ota: boolean;
  telemetryIntervalMs: number;
  /** 0 none, 1 error, 2 warn, 3 info, 4 debug, 5 verbose (ESP-IDF's order). */
  logLevel: number;
  /** False only when the config says `"tls": false`: plain MQTT, which the build and every boot warn about. */
  tls: boolean;
  /** The server certificate as base64 DER; `atob` gives the bytes Espruino's tls wants as `ca` ("" without TLS). */
  caDer: string;
  /** Native heap one TLS connection needs on this chip, in bytes, and what to do when it is not there
   *  (board/<chip>.json device.tls: the figures' one home). */
  tlsHeap: number;
  heapFix: string;
  /** "simulated" or "internal" (the ESP32's own temperature sensor). */
  sensor: string;
  /** Telemetry key names, in the order a Sensor returns its values: [temperature, humidity]. */
  keys: string[];
  /** Readings kept while the link is down. */
  queueCapacity: number;
  sntpServer: string;
}
