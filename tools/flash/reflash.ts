// Ctrl-T F in a monitor (npm run monitor, and npm run flash -- --monitor): `npm run flash` again
// (flash.sh, the same entry point and so the same build-when-stale, upload and check) on the
// monitor's port with the --board, --baud, --config and --file it was given, while the monitor has
// the port closed. A child process, so a failed build cannot take the monitor down. It lives here,
// beside the flash it runs, so that both monitors use it without tools/flash importing tools/monitor.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { ROOT } from "../common/index.ts";

export interface FlashArgs {
  port: string;
  board?: string;
  baud?: number;
  config?: string;
  file?: string;
}

/** The arguments for flash.sh, paths made absolute from the caller's working directory. */
export function flashArgv(a: FlashArgs): string[] {
  return ["--port", a.port,
    ...(a.board ? ["--board", a.board] : []),
    ...(a.baud !== undefined ? ["--baud", String(a.baud)] : []),
    ...(a.config ? ["--config", resolve(a.config)] : []),
    ...(a.file ? ["--file", resolve(a.file)] : [])];
}

/** Runs flash.sh on this process's output; resolves with its exit status (1 when it could not start). */
export function runFlash(a: FlashArgs, signal: AbortSignal): Promise<number> {
  return new Promise((res) => {
    const child = spawn("bash", [join(ROOT, "flash.sh"), ...flashArgv(a)], { stdio: ["ignore", "inherit", "inherit"], signal });
    child.on("error", () => { /* "close" follows, with the status */ });
    child.on("close", (code) => res(code ?? 1));
  });
}
