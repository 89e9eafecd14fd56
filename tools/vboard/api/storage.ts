// require("Storage"): Espruino's flash file API over the board's file-backed Storage (../storage.ts).
import { eToString } from "../format.ts";
import { MAX_NAME_LENGTH } from "../storage.ts";
import type { ProgramHost } from "./host.ts";

/** A Storage file name as 2v29 takes it: cut to 28 characters without an error (measured, docs/espruino.md §3.5). */
function fileName(name: unknown): string {
  return String(name).slice(0, MAX_NAME_LENGTH);
}

export function storageModule(p: ProgramHost): Record<string, unknown> {
  const st = p.s.storage;
  return {
    write: p.guard((name: unknown, data: unknown, offset?: unknown, size?: unknown) =>
      st.write(fileName(name), eToString([data === undefined ? "" : typeof data === "object" ? data : String(data)]),
        offset === undefined ? 0 : Number(offset), size === undefined ? undefined : Number(size))),
    read: p.guard((name: unknown, offset?: unknown, length?: unknown) =>
      st.read(fileName(name), offset === undefined ? 0 : Number(offset), length === undefined ? undefined : Number(length))),
    readJSON: p.guard((name: unknown, noExceptions?: unknown) => {
      const text = st.read(fileName(name));
      if (text === undefined) return undefined;
      try {
        return p.boardJSON.parse(text);
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    }),
    writeJSON: p.guard((name: unknown, data: unknown) => st.write(fileName(name), JSON.stringify(data) ?? "undefined")),
    list: p.guard((pattern?: unknown) => p.toBoard(st.list(pattern instanceof RegExp || isRegExp(pattern) ? pattern as RegExp : undefined))),
    erase: p.guard((name: unknown) => st.erase(fileName(name))),
    eraseAll: () => st.eraseAll(),
    getFree: () => st.getFree(),
    compact: () => undefined,
  };
}

/** A RegExp from the program's realm fails `instanceof RegExp` here. */
function isRegExp(v: unknown): boolean {
  return Object.prototype.toString.call(v) === "[object RegExp]";
}
