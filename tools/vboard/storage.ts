// Espruino's flash file system (`require("Storage")`), kept as one host file per Storage file so it
// survives reboots and new VirtualBoard instances on the same directory.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Espruino's JsfFileName is 28 bytes. */
export const MAX_NAME_LENGTH = 28;
/** Each file costs a header in flash (4 bytes size/flags + 28 bytes name) besides its data. */
const HEADER_BYTES = 32;
/** Erased flash reads back as 0xFF: the filler of a file created with a size larger than its first write. */
const ERASED = 0xff;

export class StorageError extends Error {}

/** Host-side view of one board's Storage area. All data are 8-bit binary strings, as on Espruino. */
export class BoardStorage {
  constructor(readonly dir: string, readonly capacityBytes: number) {
    mkdirSync(dir, { recursive: true });
  }

  private path(name: string): string {
    checkName(name);
    const enc = encodeURIComponent(name);
    // "." and ".." are legal Storage names but not legal host file names.
    return join(this.dir, enc === "." || enc === ".." ? enc.replace(/\./g, "%2E") : enc);
  }

  /** Storage.write semantics: offset 0 (re)creates the file with `size` bytes (default: data length);
   *  a non-zero offset writes into an existing file and must fit inside it. */
  write(name: string, data: string, offset = 0, size?: number): boolean {
    const p = this.path(name);
    const bytes = Buffer.from(data, "latin1");
    if (!offset) {
      const total = Math.max(size ?? bytes.length, bytes.length);
      if (this.getFree(name) < total + HEADER_BYTES) throw new StorageError(`Not enough free space in Storage to write "${name}" (${total} bytes)`);
      const buf = Buffer.alloc(total, ERASED);
      bytes.copy(buf, 0);
      writeFileSync(p, buf);
      return true;
    }
    if (!existsSync(p)) throw new StorageError(`Storage.write: file "${name}" does not exist; write it first with offset 0 and a size`);
    const buf = readFileSync(p);
    if (offset < 0 || offset + bytes.length > buf.length) {
      throw new StorageError(`Storage.write: ${bytes.length} bytes at offset ${offset} do not fit in "${name}" (${buf.length} bytes)`);
    }
    bytes.copy(buf, offset);
    writeFileSync(p, buf);
    return true;
  }

  read(name: string, offset = 0, length?: number): string | undefined {
    const p = this.path(name);
    if (!existsSync(p)) return undefined;
    const buf = readFileSync(p);
    const end = length === undefined ? buf.length : Math.min(buf.length, offset + length);
    return buf.subarray(offset, end).toString("latin1");
  }

  erase(name: string): void {
    rmSync(this.path(name), { force: true });
  }

  eraseAll(): void {
    for (const n of this.list()) this.erase(n);
  }

  list(pattern?: RegExp): string[] {
    const names = readdirSync(this.dir).map((f) => decodeURIComponent(f)).sort();
    return pattern ? names.filter((n) => { pattern.lastIndex = 0; return pattern.test(n); }) : names;
  }

  /** Bytes used in flash by all files (data plus headers), optionally not counting one file being replaced. */
  private used(except?: string): number {
    let n = 0;
    for (const name of this.list()) {
      if (name === except) continue;
      n += statSync(this.path(name)).size + HEADER_BYTES;
    }
    return n;
  }

  /** Computed from the board's Storage size and the files present; Espruino's own figure also counts
   *  deleted-but-not-compacted data, which this file system never has. */
  getFree(except?: string): number {
    return this.capacityBytes - this.used(except);
  }
}

export function checkName(name: string): void {
  if (typeof name !== "string" || name.length === 0) throw new StorageError("Storage: a file name must be a non-empty string");
  if (name.length > MAX_NAME_LENGTH) {
    throw new StorageError(`File name too long: "${name}" has ${name.length} chars, Storage allows at most ${MAX_NAME_LENGTH}`);
  }
}
