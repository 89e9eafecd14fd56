// The options both engines of the virtual board check the same way.
import { loadBoard, type BoardJson, type BoardName } from "../common/index.ts";

/** The board's JSON for options {board, storageDir}; a clear error when either is missing or wrong. */
export function boardOf(o: { board: BoardName; storageDir: string } | undefined): BoardJson {
  if (!o || typeof o !== "object") throw new Error("VirtualBoard needs options {board, storageDir}");
  const json = loadBoard(o.board);
  if (!o.storageDir || typeof o.storageDir !== "string") {
    throw new Error("VirtualBoard: storageDir is required, e.g. \".vboard/esp32\" (one directory per board)");
  }
  return json;
}
