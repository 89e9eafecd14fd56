// The update key beside the config (docs/ota.md §2): device.config.json -> device.config.ota-key, 64
// lowercase hex characters and a newline, mode 0600, ignored by git. `npm run flash` makes it and writes
// it to the board's `.tbkey`; `npm run ota` signs with it. Nothing here prints the key, and no message
// quotes a character of it.
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ToolError } from "../common/index.ts";
import { KEY_BYTES } from "./package.ts";

export interface OtaKey {
  /** The key file's absolute path. */
  file: string;
  /** The 32 bytes the HMAC is keyed with. */
  key: Buffer;
  /** The 64 lowercase hex characters, as `.tbkey` holds them (the file's text without its newline). */
  hex: string;
  /** One `W <tool>:` line each, e.g. a file others may read. */
  warnings: string[];
}

/** `device.config.json` -> `device.config.ota-key`; a name without `.json` keeps it whole: `dev1.conf` -> `dev1.conf.ota-key`. */
export function keyFileFor(configPath: string): string {
  const abs = resolve(configPath);
  const name = basename(abs);
  return join(dirname(abs), (name.endsWith(".json") ? name.slice(0, -".json".length) : name) + ".ota-key");
}

/**
 * Reads the key beside `configPath`. Throws a one-line ToolError (`E <tool>: …`) when the file is
 * missing, unreadable, of the wrong length or not lowercase hex; a file others can read or write is a warning.
 */
export function loadKey(configPath: string, tool = "ota"): OtaKey {
  const file = keyFileFor(configPath);
  const config = basename(resolve(configPath));
  const remake = `restore it from your backup, or delete it and run npm run flash (a new key must reach the board before it takes updates signed with it)`;
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ToolError(`E ${tool}: ${file} does not exist: run npm run flash once with "ota": true in ${config}, which creates it and puts it on the board`);
    }
    throw new ToolError(`E ${tool}: cannot read ${file} (${code ?? (e as Error).message}): check its owner and mode (chmod 600 ${file})`);
  }
  // One trailing newline (or CRLF, from an editor) is the file's; anything else is not the key.
  const hex = text.replace(/\r?\n$/, "");
  if (hex.length !== KEY_BYTES * 2) {
    throw new ToolError(`E ${tool}: ${file} holds ${hex.length} character(s) where the key is 64 hex characters and a newline: ${remake}`);
  }
  const at = hex.search(/[^0-9a-f]/);
  if (at >= 0) {
    const upper = /[A-F]/.test(hex[at]!);
    throw new ToolError(`E ${tool}: ${file} has a character that is not ${upper ? "a lowercase" : "a"} hex digit at position ${at + 1}: ` +
      (upper ? `write the key in lowercase, as .tbkey holds it` : remake));
  }
  const warnings: string[] = [];
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    warnings.push(`W ${tool}: ${file} can be read or written by others (mode 0${mode.toString(8)}): anyone who reads it can sign updates ` +
      `your board installs; chmod 600 ${file}`);
  }
  return { file, key: Buffer.from(hex, "hex"), hex, warnings };
}

/** The key beside `configPath`, made first when missing (32 random bytes, mode 0600); `created` says which. */
export function ensureKey(configPath: string, tool = "flash"): OtaKey & { created: boolean } {
  const file = keyFileFor(configPath);
  const hex = randomBytes(KEY_BYTES).toString("hex");
  try {
    // wx: never replace a key that appeared meanwhile; the board may already hold it.
    writeFileSync(file, hex + "\n", { mode: 0o600, flag: "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return { ...loadKey(configPath, tool), created: false };
    throw new ToolError(`E ${tool}: cannot create ${file} (${code ?? (e as Error).message}): make its folder writable, or keep the config where you may write`);
  }
  // The mode given to open is reduced by the umask, never widened; this makes it exactly 0600.
  chmodSync(file, 0o600);
  return { file, key: Buffer.from(hex, "hex"), hex, warnings: [], created: true };
}
