// Does the interpreter on the board leave enough native heap for TLS? (docs/espruino.md §2.1: at boot the
// interpreter turns all but ESP_HEAP_SIZE bytes into JsVars; Wi-Fi and TLS live in what is left.)
// flash reads the board's split over its REPL (SPLIT_PROBE) and warns, in one line, when one TLS
// connection (board/<chip>.json device.tls.needBytes) would not fit. The figures are estimates, so it
// never blocks; the decision is here, pure, so it can be tested without a board.
import { basename } from "node:path";
import type { BoardJson, MemoryVariant } from "../common/index.ts";

/** What the board's REPL said about its memory split; undefined where it could not say. */
export interface HeapSplit {
  /** process.memory().total: the JsVars this build took. */
  total?: number;
  /** ESP32.getState().freeHeap: native heap free now (a total, not the largest block). */
  freeHeap?: number;
  /** ESP32.getState().minHeap: the low-water mark since boot. */
  minHeap?: number;
  /** Whether the station has joined Wi-Fi (its buffers are then already taken from freeHeap). */
  wifi?: boolean;
}

/** Printed where an expression has no value (no ESP32 global, e.g. Espruino's Linux build). */
const NONE = "-";

/** One REPL expression that prints the split as four words, each guarded: a board without `ESP32`,
 *  `Wifi` or a figure prints "-" there instead of throwing (which would lose the whole answer). */
export const SPLIT_PROBE =
  `(function(){function g(f){try{var v=f();return v===undefined||v!==v?"${NONE}":v}catch(e){return "${NONE}"}}` +
  `return [g(function(){return process.memory().total}),g(function(){return ESP32.getState().freeHeap}),` +
  `g(function(){return ESP32.getState().minHeap}),` +
  `g(function(){return require("Wifi").getStatus().station=="connected"?1:0})].join(" ")})()`;

/** The split from SPLIT_PROBE's four words. */
export function parseSplit(words: string[]): HeapSplit {
  const num = (w?: string) => (w === undefined || w === NONE || !/^\d+$/.test(w) ? undefined : Number(w));
  const wifi = words[3] === "1" ? true : words[3] === "0" ? false : undefined;
  return { total: num(words[0]), freeHeap: num(words[1]), minHeap: num(words[2]), wifi };
}

/** What joining Wi-Fi takes from the native heap, as the board definition estimates it: the largest
 *  drop from the reserve to after-Wi-Fi among the variants with this JsVar count (all, if none has it).
 *  A variant whose figure rises (WROVER: freeHeap also counts PSRAM) says nothing about that cost. */
export function wifiCostBytes(board: BoardJson, total?: number): number {
  const same = board.device.variants.filter((v) => v.jsVars === total);
  const from = same.length ? same : board.device.variants;
  return Math.max(0, ...from.map((v) => v.heapReserveBytes - v.heapAfterWifiBytes));
}

/** Native heap TLS would find: freeHeap once Wi-Fi has joined, else freeHeap less Wi-Fi's cost. */
export function heapForTls(board: BoardJson, split: HeapSplit): number | undefined {
  if (split.freeHeap === undefined) return undefined;
  return split.wifi ? split.freeHeap : split.freeHeap - wifiCostBytes(board, split.total);
}

const n = (x: number | undefined) => (x === undefined ? "?" : x.toLocaleString("en"));

/** The one `W flash:` line when TLS would not fit, else undefined. No figures from the board (no
 *  ESP32 global: the Linux build) or a config with `"tls": false`: nothing to check. */
export function heapWarning(board: BoardJson, split: HeapSplit, tls: boolean): string | undefined {
  if (!tls) return undefined;
  const left = heapForTls(board, split);
  if (left === undefined) return undefined;
  const { needBytes, remedy } = board.device.tls;
  if (left >= needBytes) return undefined;
  const estimate = split.wifi ? "" : `; Wi-Fi not joined yet, which takes about ${n(wifiCostBytes(board, split.total))} more`;
  return `W flash: this interpreter leaves ${n(left)} bytes of native heap for TLS (${n(split.total)} JsVars, ` +
    `freeHeap ${n(split.freeHeap)}, minHeap ${n(split.minHeap)}${estimate}), but one TLS connection on ` +
    `${board.info.name} needs about ${n(needBytes)}, so MQTT over TLS is likely to fail with "Not enough memory": ${remedy}`;
}

// --- which interpreter to install --------------------------------------------------------------

/** The variants that leave enough native heap for TLS: those with tls "yes", else those with "likely". */
export function tlsVariants(board: BoardJson): MemoryVariant[] {
  const yes = board.device.variants.filter((v) => v.tls === "yes");
  return yes.length ? yes : board.device.variants.filter((v) => v.tls === "likely");
}

/** "likely" with a note that says borderline counts as not fitting for the stock-release warning. */
function fitsSurely(v: MemoryVariant): boolean {
  return v.tls === "yes" || (v.tls === "likely" && !/borderline/i.test(v.note));
}

/** One line per chip for --help: the interpreter build and module that leave TLS enough heap. */
export function interpreterAdvice(board: BoardJson): string {
  const fit = tlsVariants(board);
  if (!fit.length) return `${board.info.name}: no ${board.info.binary_version} build leaves enough native heap for TLS: ${board.device.tls.remedy}`;
  return `${board.info.name}: ` + fit.map((v) => `${v.module}, interpreter ${v.interpreter}`).join(", or ");
}

const stem = (name: string) => name.replace(/\.(tgz|tar\.gz)$/i, "");

/** The `W flash:` line when `release` (a .tgz or folder, by its name) is the stock release
 *  (device.espruinoRelease) and it leaves too little native heap for TLS on some module; else undefined. */
export function releaseWarning(release: string, board: BoardJson): string | undefined {
  const stock = board.device.espruinoRelease;
  if (stem(basename(release)) !== stem(stock)) return undefined;
  const short = board.device.variants.filter((v) => v.interpreter.includes(stock) && !fitsSurely(v));
  if (!short.length) return undefined;
  const need = board.device.tls.needBytes.toLocaleString("en");
  const on = short.map((v) => `${v.module} (about ${v.heapAfterWifiBytes.toLocaleString("en")} after Wi-Fi)`).join(" and ");
  // "likely" but borderline: it may fit; "no": it does not.
  const verb = short.every((v) => v.tls === "likely") ? "may leave" : "leaves";
  const better = tlsVariants(board).filter((v) => !short.includes(v) && fitsSurely(v));
  const fix = better.length
    ? `what fits: ${better.map((v) => `${v.module}, interpreter ${v.interpreter}`).join(", or ")}`
    : board.device.tls.remedy;
  return `W flash: ${stock} ${verb} too little native heap for TLS on ${on}; one TLS connection needs about ${need}: ${fix} ` +
    `(installing it anyway)`;
}
