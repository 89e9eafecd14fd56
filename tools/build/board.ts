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
    jsVars: number;
    jsVarBytes: number;
    nativeHeapReserveKB: number;
    bundleBudgetBytes: number;
    ledPin: string;
    console: "uart" | "usb-serial-jtag";
    typicalPort: string;
    baud: number;
    espruinoRelease: string;
    esptoolChip: string;
    flashImages: Array<{ offset: string; file: string }>;
  };
}

export const ROOT = join(import.meta.dirname, "..", "..");

export function boardJsonPath(board: BoardName): string {
  return join(ROOT, "board", board + ".json");
}

export function isBoardName(name: string): name is BoardName {
  return (BOARDS as readonly string[]).includes(name);
}

export function loadBoard(board: string): BoardJson {
  if (!isBoardName(board)) throw new Error(`Unknown board "${board}": use one of ${BOARDS.join(", ")}`);
  return JSON.parse(readFileSync(boardJsonPath(board), "utf8")) as BoardJson;
}
