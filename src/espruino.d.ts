// Ambient types for the Espruino 2v29 runtime on ESP32-family boards: only what the interpreter
// really provides (see docs/espruino.md §2-3). Nothing from Node or the DOM.

/** Extra arguments are passed to `fn` when it runs (Espruino and Node alike). */
declare function setTimeout<A extends unknown[]>(fn: (...args: A) => void, ms?: number, ...args: A): number;
/** Clears every timer when called with no argument, throws when `id` is passed as undefined; an id
 *  that already fired, an unknown id or null is ignored (docs/espruino.md §3.2). */
declare function clearTimeout(id?: number): void;
// setInterval/clearInterval are left out on purpose: when SNTP steps the clock, an interval runs
// back to back until it has caught up 56 years (docs/espruino.md §3.2). Chain setTimeouts instead.
/** Seconds since boot, or since 1970 once the clock has been set; a float. */
declare function getTime(): number;
declare function setTime(seconds: number): void;
declare function getSerial(): string;
declare function print(...text: unknown[]): void;
declare function atob(b64: string): string;
declare function btoa(binary: string): string;
declare function digitalWrite(pin: Pin, value: boolean | number): void;
declare function load(file?: string): void;
declare function reset(clearFlash?: boolean): void;

declare interface Pin {}
declare const LED1: Pin;

// Sensors (src/sensors/). A pin may also be given as its GPIO number (21 for D21).
declare function pinMode(pin: Pin | number, mode: "input" | "input_pullup" | "output" | "opendrain" | "opendrain_pullup"): void;
/** The callback gets the event's time and the previous event's (seconds, getTime()'s clock). */
declare function setWatch(fn: (e: { state: boolean; time: number; lastTime: number }) => void, pin: Pin | number,
  options: { edge: "rising" | "falling" | "both"; repeat: boolean }): number;
declare function clearWatch(id: number): void;

/** Software I2C (src/jsi2c.c): any pins, the same code on every chip. It does not check the device's
 *  ACK: a device that is not there reads as 0xFF bytes; only a line held low throws (docs/espruino.md §3.6). */
declare class I2C {
  setup(options: { sda: Pin | number; scl: Pin | number; bitrate?: number }): void;
  writeTo(address: number, data: number | number[]): void;
  readFrom(address: number, quantity: number): Uint8Array;
}

declare class OneWire {
  constructor(pin: Pin | number);
  /** True when a device answered with a presence pulse. */
  reset(): boolean;
  /** ROM command "skip ROM": talk to the only device on the bus. */
  skip(): void;
  /** `power`: keep the line driven high afterwards (a parasite-powered device converting). */
  write(data: number | number[], power?: boolean): void;
  read(count: number): number[];
}

declare const console: { log(...text: unknown[]): void };

declare interface EspruinoMemory {
  free?: number;
  usage?: number;
  total?: number;
  history?: number;
  blocksize?: number;
}

declare const process: {
  /** Espruino version string, e.g. "2v29". */
  version: string;
  env: { VERSION?: string; BOARD?: string; [k: string]: unknown };
  memory(gc?: boolean): EspruinoMemory;
  on(event: "uncaughtException", cb: (e: unknown) => void): void;
};

declare const E: {
  reboot(): void;
  getTemperature(): number;
  toString(...args: unknown[]): string;
  on(event: string, cb: (...a: any[]) => void): void;
  enableWatchdog(timeoutSeconds: number, autoKick?: boolean): void;
  kickWatchdog(): void;
  getErrorFlags(): string[];
  setBootCode(code: string, alwaysExec?: boolean): void;
};

declare const ESP32: {
  getState(): { freeHeap: number; minHeap: number; [k: string]: unknown };
  deepSleep(us: number): void;
};

declare interface EspruinoError {
  code: number;
  message: string;
}

declare interface EspruinoSocket {
  write(data: string): boolean | void;
  end(data?: string): void;
  on(event: "data", cb: (data: string) => void): void;
  on(event: "drain", cb: () => void): void;
  on(event: "error", cb: (e: EspruinoError) => void): void;
  on(event: "end", cb: () => void): void;
  on(event: "close", cb: (hadError: boolean) => void): void;
  removeAllListeners(event?: string): void;
}

declare interface TlsConnectOptions {
  host: string;
  port: number;
  /** DER bytes as a binary string (atob of the PEM body); a PEM text fails. */
  ca?: string;
  key?: string;
  cert?: string;
}

declare interface WifiDetails {
  status: "off" | "connecting" | "wrong_password" | "no_ap_found" | "connect_fail" | "connected";
  rssi?: number;
  ssid?: string;
}

declare interface WifiModule {
  /** On 2v29 the callback fires only on success (with null); a failure never calls it. */
  connect(ssid: string, options: { password?: string }, cb?: (err: string | null) => void): void;
  disconnect(cb?: () => void): void;
  on(event: "connected", cb: (d: { ip: string; netmask: string; gw: string }) => void): void;
  /** ESP32 builds (targets/esp32 jswrap_esp32_network.c): reason is the ESP-IDF code as a string, msg its name. */
  on(event: "disconnected", cb: (d: { ssid?: string; mac?: string; reason?: string | number; msg?: string }) => void): void;
  on(event: "associated" | "auth_change" | "dhcp_timeout", cb: (d?: unknown) => void): void;
  getIP(cb?: (err: unknown, info: { ip: string; netmask: string; gw: string; mac?: string }) => void): { ip: string } | void;
  getDetails(cb?: (d: WifiDetails) => void): WifiDetails | void;
  setHostname(name: string): void;
  /** `tz` is a POSIX TZ string ("UTC0"); ESP32 builds throw "Zone is not a string" for anything else. */
  setSNTP(server: string, tz: string): void;
}

declare interface StorageModule {
  write(name: string, data: string, offset?: number, size?: number): boolean;
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions?: boolean): any;
  writeJSON(name: string, data: unknown): boolean;
  list(pattern?: RegExp): string[];
  erase(name: string): void;
  /** Bytes free at the end of Storage (erased files' space comes back only with a compaction). */
  getFree(): number;
}

/** Digests of an 8-bit string (a Storage read is hashed where it lies in flash, not copied). */
declare interface CryptoModule {
  SHA256(message: string | ArrayBuffer): ArrayBuffer;
}

declare function require(name: "Wifi"): WifiModule;
declare function require(name: "tls"): { connect(o: TlsConnectOptions, cb?: () => void): EspruinoSocket };
/** `net` ignores `ca` (and the rest of TlsConnectOptions' TLS fields). */
declare function require(name: "net"): { connect(o: TlsConnectOptions, cb?: () => void): EspruinoSocket };
declare function require(name: "Storage"): StorageModule;
declare function require(name: "crypto"): CryptoModule;
/** The global object (a property set on it is a global variable). */
declare const global: { [name: string]: any };

