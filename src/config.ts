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
  /** "simulated", "internal" (the ESP32's own temperature sensor), "sht3x", "sht4x", "bme280", "ds18b20" or "dht22". */
  sensor: string;
  /** GPIO numbers of the I2C lines (SHT3x, SHT4x, BME280) and of a DS18B20's or DHT22's data line. Always set:
   *  the board's defaults (board/<chip>.json device.sensorPins) when the config does not give them or the
   *  sensor does not use them. */
  sda: number;
  scl: number;
  pin: number;
  /** The I2C sensor's 7-bit address (the part's default unless the config gives one); 0 for a sensor not on I2C. */
  i2cAddress: number;
  /** Telemetry key names, in the order a Sensor returns its values: [temperature, humidity], and pressure
   *  third only for "bme280". */
  keys: string[];
  /** Readings kept while the link is down. */
  queueCapacity: number;
  sntpServer: string;
}
