// Runs the real espruino CLI to store the bundle in Storage `.bootcde` and load() it
// (SAVE_ON_SEND=1), offline with our board JSON so built-in modules need no download. On a terminal
// it shows how much of the upload the CLI has written (it takes seconds over a serial line).
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { boardJsonPath, fail, progress, ROOT, type BoardName, type ProgressStream } from "../common/index.ts";

export const ESPRUINO_CLI = join(ROOT, "node_modules", ".bin", "espruino");

/** `storage` maps more Storage file names to local files the CLI writes before the code (`--storage name:path`). */
export function uploadArgs(o: { port: string; baud: number; board: BoardName; file: string; storage?: Record<string, string> }): string[] {
  // --no-ble: without it the CLI crashes at start on Linux machines without D-Bus (docs/espruino.md §4.1).
  const storage = Object.entries(o.storage ?? {}).flatMap(([name, path]) => ["--storage", `${name}:${path}`]);
  return ["--no-ble", "-b", String(o.baud), "-p", o.port, "--board", boardJsonPath(o.board), "--config", "SAVE_ON_SEND=1",
    ...storage, o.file];
}

/**
 * The CLI's own trace with --verbose: `serial: ---> "<text>"` when it queues a text to write (the
 * bundle wrapped in Storage writes), `serial: Sending "<chunk>"` as it writes each piece of it. Both
 * are JSON strings. Returns the characters queued or written, or undefined for any other line.
 */
export function tracedWrite(line: string): { queued: number } | { written: number } | undefined {
  const m = /^serial: (--->|Sending) ("(?:[^"\\]|\\.)*")$/.exec(line);
  if (!m) return undefined;
  let text: string;
  try {
    text = JSON.parse(m[2]!);
  } catch {
    return undefined;
  }
  return m[1] === "--->" ? { queued: text.length } : { written: text.length };
}

export interface UploadResult {
  /** Board output the CLI relayed (its `--] ` lines), in order. */
  boardLines: string[];
}

/**
 * The CLI leaves only once the board has been quiet for 500 ms, which a logging firmware never is:
 * once it reports "Upload Complete" it gets `settleMs` more to relay the start-up log, then it is stopped.
 */
export function upload(o: { port: string; baud: number; board: BoardName; file: string; bytes: number;
  storage?: Record<string, string>; onLine?: (line: string) => void; settleMs?: number;
  /** Where the progress line goes (stderr by default); nothing is counted when it is not a terminal. */
  progressStream?: ProgressStream }): Promise<UploadResult> {
  const stream = o.progressStream ?? process.stderr;
  const bar = progress("flash", stream);
  // Only the CLI's --verbose trace says what it has written; it is read only when there is a line to show.
  const counting = !!stream.isTTY;
  const args = counting ? ["--verbose", ...uploadArgs(o)] : uploadArgs(o);
  // Serial: 10 bits a byte, twice over for the escaping, plus the CLI's 250 ms pauses per 1 KB chunk.
  // --storage files go as base64 (4/3 the size) in writes of 288 bytes each.
  const extra = Object.values(o.storage ?? {}).reduce((n, p) => n + statSync(p).size, 0);
  const limitMs = 20_000 + Math.ceil((o.bytes * 20 * 1000) / o.baud) + Math.ceil(o.bytes / 1024) * 400 +
    Math.ceil((extra * 4 / 3 * 20 * 1000) / o.baud) + Math.ceil(extra / 288) * 400;
  return new Promise((resolve, reject) => {
    const child = spawn(ESPRUINO_CLI, args, { stdio: ["ignore", "pipe", "pipe"] });
    const boardLines: string[] = [];
    const other: string[] = [];
    let queued = 0;
    let written = 0;
    let complete = false;
    let settle: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => child.kill(), limitMs);
    let buf = "";
    const onText = (d: Buffer) => {
      buf += d.toString("latin1");
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const raw = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (raw.startsWith("--] ")) {
          // Keep what a terminal would show after a carriage return (the prompt is redrawn over); a line
          // printed at the prompt starts with the prompt and the line editor's clear-to-end (ESC [J).
          const line = raw.slice(4).split("\r").pop()!.replace(/^(>|\x1b\[J)+/, "");
          boardLines.push(line);
          // The board's line goes above the progress line: clear it, the next count redraws it.
          bar.done();
          o.onLine?.(line);
        } else if (raw.startsWith("serial: ")) {
          // The verbose trace holds the bundle itself, token included: counted, never kept or shown.
          const w = tracedWrite(raw);
          if (w && "queued" in w) queued += w.queued;
          else if (w) written += w.written;
          if (w && queued) bar.update(`uploading ${o.bytes.toLocaleString("en")} bytes`, Math.min(written / queued, 1));
        } else {
          other.push(raw);
          if (raw === "Upload Complete" && !complete) {
            bar.done();
            complete = true;
            settle = setTimeout(() => child.kill(), o.settleMs ?? 1500);
          }
        }
      }
    };
    child.stdout.on("data", onText);
    child.stderr.on("data", onText);
    child.on("error", (e) => {
      bar.done();
      clearTimeout(limit);
      clearTimeout(settle);
      reject(fail("flash", `cannot run the espruino CLI (${(e as Error).message})`, "run npm install in the project folder"));
    });
    child.on("close", () => {
      bar.done();
      clearTimeout(limit);
      clearTimeout(settle);
      if (complete) return resolve({ boardLines });
      const said = other.filter((l) => l.trim() && !/^\d+\.\d+\.\d+$/.test(l)).slice(-3).join(" | ");
      if (other.some((l) => /Unable to connect/.test(l))) {
        reject(fail("flash", `the espruino CLI could not open ${o.port}${said ? ` (${said})` : ""}`,
          "it opens only ports its serial listing reports: check the cable and the port name (npm run flash without --port lists them)"));
      } else {
        reject(fail("flash", `upload to ${o.port} did not complete${said ? ` (${said})` : ""}`,
          "press the board's reset button (or unplug and replug it) and run npm run flash again"));
      }
    });
  });
}
