// board/<chip>.json: the espruino CLI's --board file plus this project's own "device" section.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const BOARDS = ["esp32", "esp32c3", "esp32s3"] as const;
export type BoardName = (typeof BOARDS)[number];

export interface BoardJson {
  info: { name: string; id: string; binary_version: string; builtin_modules: string[] };
  chip: { family: string; saved_code: { address: number; page_size: number; pages: number; flash_available: number } };
  device: {
    chip: BoardName;
    jsVarBytes: number;
    /** Where the memory figures below come from. */
    memorySource: string;
    /** Native heap one MQTT-over-TLS connection needs on this chip (estimates, docs/espruino.md §2.2):
     *  needBytes in all, setupBytes of it at mbedtls_ssl_setup; the fix to print when it is short. */
    tls: { needBytes: number; setupBytes: number; source: string; remedy: string };
    /** The memory split per module kind and interpreter build; the virtual board models `virtualVariant`. */
    variants: MemoryVariant[];
    virtualVariant: string;
    bundleBudgetBytes: number;
    ledPin: string;
    /** Where a sensor is wired when the config does not say (README, "Sensors"): the I2C pins, and the
     *  data pin of a 1-Wire or DHT sensor. */
    sensorPins: { sda: string; scl: string; pin: string };
    /** Which GPIOs a sensor may use (checked by the build, tools/bundler/config-rules.ts). */
    gpio: GpioRules;
    console: "uart" | "usb-serial-jtag";
    typicalPort: string;
    baud: number;
    espruinoRelease: string;
    esptoolChip: string;
    flashImages: Array<{ offset: string; file: string }>;
  };
}

/** The chip's GPIOs and what the board already uses them for; pin numbers are GPIO numbers. The LED
 *  (device.ledPin) is reserved too, and the console's pins are among `reserved`. */
export interface GpioRules {
  /** Where these facts come from (Espressif's datasheets and ESP-IDF docs). */
  source: string;
  /** The GPIOs the chip has, as [first, last] ranges. */
  pins: Array<[number, number]>;
  /** Pins without an output driver: no I2C, 1-Wire or DHT, which pull the line low. */
  inputOnly: number[];
  /** Pins wired to something else on every board with this chip: an error for a sensor. `for` names
   *  them as "the <chip>'s <for>", `names` labels single pins (TX, RX, D-, D+), `note` says why. */
  reserved: Array<{ pins: number[]; for: string; names?: Record<string, string>; note?: string }>;
  /** Pins read at reset to choose how the chip starts: a warning, with what could go wrong. */
  strapping: Array<{ pin: number; risk: string }>;
  /** Pins the PSRAM (or octal flash) uses on some modules: a warning naming the memory and those modules. */
  psram: Array<{ pins: number[]; memory: string; modules: string; risk: string }>;
}

export interface MemoryVariant {
  id: string;
  module: string;
  interpreter: string;
  /** process.memory().total */
  jsVars: number;
  /** ESP_HEAP_SIZE: native heap left when the interpreter has taken its JsVars. */
  heapReserveBytes: number;
  /** What ESP32.getState().freeHeap would show once Wi-Fi is joined. */
  heapAfterWifiBytes: number;
  tls: "yes" | "likely" | "no";
  note: string;
}

/** The variant `id`, or the one the virtual board models. */
export function memoryVariant(board: BoardJson, id?: string): MemoryVariant {
  const want = id ?? board.device.virtualVariant;
  const v = board.device.variants.find((x) => x.id === want);
  if (!v) {
    throw new Error(`Unknown memory variant "${want}" for ${board.device.chip}: use one of ${board.device.variants.map((x) => x.id).join(", ")}`);
  }
  return v;
}

export const ROOT = join(import.meta.dirname, "..", "..");

export function boardJsonPath(board: BoardName): string {
  return join(ROOT, "board", board + ".json");
}

export function isBoardName(name: string): name is BoardName {
  return (BOARDS as readonly string[]).includes(name);
}

// Espressif chips that Espruino 2v29 has no build for: its ESP32-family releases are the three in
// BOARDS (docs/espruino.md §2.2). Named so that "esp32c6" is told so, not "did you mean esp32c3?".
const NO_ESPRUINO_BUILD: Record<string, string> = {
  esp32s2: "ESP32-S2", esp32c2: "ESP32-C2", esp32c5: "ESP32-C5", esp32c6: "ESP32-C6", esp32c61: "ESP32-C61",
  esp32h2: "ESP32-H2", esp32p4: "ESP32-P4",
};

/** "Espruino 2v29 has no build for the ESP32-C6" when `name` is such a chip (any case, with or without "-"). */
export function unsupportedChip(name: string): string | undefined {
  const chip = NO_ESPRUINO_BUILD[name.toLowerCase().replace(/[-_\s]/g, "")];
  return chip && `Espruino 2v29 has no build for the ${chip}`;
}

export function loadBoard(board: string): BoardJson {
  if (!isBoardName(board)) throw new Error(`Unknown board "${board}": use one of ${BOARDS.join(", ")}`);
  return JSON.parse(readFileSync(boardJsonPath(board), "utf8")) as BoardJson;
}
