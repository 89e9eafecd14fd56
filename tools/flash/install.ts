// Installing the Espruino interpreter itself: pick the three images of a release (.tgz or folder)
// for the board's chip, check they really are for that chip, and write them at the board JSON's
// offsets (docs/espruino.md §2.4) through the ESP ROM bootloader with esptool-js, so no Python is needed.
// The equivalent esptool command is kept as the fallback to print.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fail, progress, ToolError, type BoardJson, type Progress, type ProgressStream } from "../common/index.ts";
import { openError } from "../serial/ports.ts";
import { NodeWebSerialPort } from "./webserial.ts";

/** ESP image header chip_id (byte 12, little-endian), as ESP-IDF's esp_image_header_t defines it. */
export const CHIP_IDS: Record<number, string> = { 0: "esp32", 2: "esp32s2", 5: "esp32c3", 9: "esp32s3", 12: "esp32c2", 13: "esp32c6", 16: "esp32h2" };

export interface FlashImage {
  offset: string;
  file: string;
  path: string;
}

export interface InstallPlan {
  images: FlashImage[];
  /** Where the release was read from (the folder, or where the .tgz was unpacked). */
  dir: string;
  command: string;
}

/** Every file below dir, by base name. */
function filesBelow(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) visit(p);
      else if (!out.has(n)) out.set(n, p);
    }
  };
  visit(dir);
  return out;
}

/** The chip a release file or folder name says it is for: espruino_2v29_esp32c3.tgz -> esp32c3. */
export function chipInName(name: string): string | undefined {
  return /espruino_\d+v\d+\w*?_(esp32(?:c3|s3|s2|c6|c2|h2)?)(?:\.tgz|\.tar\.gz|$|[/_.-])/i.exec(basename(name))?.[1]?.toLowerCase();
}

function unpack(tgz: string): string {
  const hash = createHash("sha256").update(readFileSync(tgz)).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), "tb-espruino-release", `${basename(tgz).replace(/\.(tgz|tar\.gz)$/, "")}-${hash}`);
  if (existsSync(dir)) return dir;
  // Unpack beside the final place and rename, so a failed or interrupted unpack is never reused.
  mkdirSync(dirname(dir), { recursive: true });
  const part = mkdtempSync(dir + ".part-");
  try {
    execFileSync("tar", ["-xzf", tgz, "-C", part], { stdio: ["ignore", "ignore", "pipe"] });
    renameSync(part, dir);
  } catch (e) {
    rmSync(part, { recursive: true, force: true });
    const why = String((e as { stderr?: Buffer }).stderr ?? "").trim().split("\n")[0];
    throw fail("flash", `${basename(tgz)} is not a readable .tgz${why ? ` (${why})` : ""}`, "download the release again from espruino.com/binaries");
  }
  return dir;
}

/** Checks the ESP image header of an app or bootloader image; returns why it does not fit, if so. */
export function imageProblem(bytes: Buffer, file: string, chip: string): string | undefined {
  if (/partition/i.test(file)) {
    return bytes.length >= 2 && bytes[0] === 0xaa && bytes[1] === 0x50 ? undefined : `${file} is not a partition table (no 0xAA50 entry at its start)`;
  }
  if (bytes.length < 24 || bytes[0] !== 0xe9) return `${file} is not an ESP firmware image (first byte is not 0xE9)`;
  const id = bytes.readUInt16LE(12);
  const forChip = CHIP_IDS[id] ?? `chip id ${id}`;
  return forChip === chip ? undefined : `${file} is built for ${forChip}, not ${chip}`;
}

export function planInstall(release: string, port: string, board: BoardJson, baud = 460800): InstallPlan {
  const path = resolve(release);
  const chip = board.device.esptoolChip;
  const want = board.device.espruinoRelease;
  if (!existsSync(path)) {
    throw fail("flash", `${release} does not exist`, `download ${want} from espruino.com/binaries and pass its path to --install-espruino`);
  }
  const named = chipInName(path);
  if (named && named !== chip) {
    throw fail("flash", `${basename(path)} is the Espruino release for ${named}, but the board is ${chip}`,
      `use ${want}, or pass --board ${named} if that is your board`);
  }
  const isDir = statSync(path).isDirectory();
  if (!isDir && !/\.(tgz|tar\.gz)$/.test(path)) {
    throw fail("flash", `${release} is neither a .tgz nor a folder`, `pass the ${want} you downloaded, or the folder it unpacks to`);
  }
  const dir = isDir ? path : unpack(path);
  const files = filesBelow(dir);
  const images: FlashImage[] = [];
  const missing: string[] = [];
  for (const img of board.device.flashImages) {
    const p = files.get(img.file);
    if (p) images.push({ ...img, path: p });
    else missing.push(img.file);
  }
  if (missing.length) {
    const otherApp = [...files.keys()].find((n) => /^espruino[-_]esp32\w*\.bin$/.test(n));
    const otherChip = otherApp && /esp32(c3|s3|s2|c6|c2|h2)?/.exec(otherApp)?.[0];
    if (otherChip && otherChip !== chip) {
      throw fail("flash", `${basename(path)} holds ${otherApp}, the interpreter for ${otherChip}, but the board is ${chip}`,
        `use ${want}, or pass --board ${otherChip} if that is your board`);
    }
    throw fail("flash", `${basename(path)} lacks ${missing.join(", ")} for ${chip}`, `use the unmodified ${want} from espruino.com/binaries`);
  }
  for (const img of images) {
    const problem = imageProblem(readFileSync(img.path), img.file, chip);
    if (problem) throw fail("flash", problem, `use ${want} from espruino.com/binaries`);
  }
  const command = ["esptool.py", "--chip", chip, "--port", shellQuote(port), "--baud", String(baud), "write_flash",
    ...images.flatMap((i) => [i.offset, shellQuote(i.path)])].join(" ");
  return { images, dir, command };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** esptool-js's CHIP_NAME ("ESP32-C3") as esptool's --chip spells it ("esp32c3"). */
export function esptoolChipName(chipName: string): string {
  return chipName.toLowerCase().replace(/-/g, "");
}

/** Refuses to write when the chip that answered is not the board's chip. */
export function checkDetectedChip(chipName: string, port: string, board: BoardJson): void {
  const found = esptoolChipName(chipName);
  const want = board.device.esptoolChip;
  if (found === want) return;
  throw fail("flash", `the chip on ${port} is ${chipName} (${found}), but the board is ${want} (${board.info.name}); nothing was written`,
    `pass --board ${found} with espruino_${board.info.binary_version}_${found}.tgz if that is your board, or plug in the ${board.info.name}`);
}

export interface WriteOptions {
  port: string;
  board: BoardJson;
  /** Baud rate for writing; the ROM is first reached at 115200. */
  baud: number;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** Bound on reaching the ROM bootloader and identifying the chip (esptool-js retries on its own within it). */
  connectTimeoutMs?: number;
  /** Where the write percentage is drawn (default stderr); only on a terminal (common/progress.ts). */
  progressStream?: ProgressStream;
}

/**
 * esptool-js's reportProgress(image, written, total) as the user sees it: one percentage of all the
 * images on a terminal (each weighed by its size, as writing time goes with it; `written` counts the
 * compressed bytes of one image), and a line for each image once it is all written.
 */
export function writeProgress(files: Array<{ offset: string; file: string; size: number }>, log: (line: string) => void, bar: Progress) {
  const all = files.reduce((n, f) => n + f.size, 0) || 1;
  const before = files.map((_, i) => files.slice(0, i).reduce((n, f) => n + f.size, 0));
  return (index: number, written: number, total: number): void => {
    const f = files[index];
    if (!f) return;
    const part = total ? Math.min(1, written / total) : 1;
    bar.update(`writing ${f.file} (image ${index + 1} of ${files.length})`, (before[index]! + part * f.size) / all);
    if (part === 1) {
      bar.done();
      log(`I flash:   ${f.offset} ${f.file}: ${f.size.toLocaleString("en")} bytes written`);
    }
  };
}

const ROM_BAUD = 115200;

/** Writes the plan's images through the ROM bootloader, verifies each by MD5, then hard-resets the board. */
export async function writeRelease(plan: InstallPlan, o: WriteOptions): Promise<void> {
  const { ESPLoader, Transport } = await import("esptool-js");
  let warned = false;
  const device = new NodeWebSerialPort(o.port, {
    onNoModemLines: (m) => { if (!warned) o.warn(`W flash: ${m}`); warned = true; },
  });
  // esptool-js types its device as the browser's SerialPort; the adapter has the members it uses.
  const transport = new Transport(device as unknown as ConstructorParameters<typeof Transport>[0], false);
  const said: string[] = [];
  // Transport.trace prints to the console even with tracing off ("readLoop exited"): keep it with the rest.
  transport.trace = (m: string) => { said.push(m); };
  const terminal = { clean: () => undefined, write: (d: string) => { said.push(d); }, writeLine: (d: string) => { said.push(d); } };
  const loader = new ESPLoader({ transport, baudrate: o.baud, romBaudrate: ROM_BAUD, terminal });
  // Refuse a wrong chip as soon as it is identified, before esptool-js loads its stub into the chip's RAM.
  // applyDetectedChip is esptool-js 0.7's private hook; the check after main() stays in case it moves.
  const hook = loader as unknown as { applyDetectedChip?: (chip: { CHIP_NAME: string }) => void };
  const apply = hook.applyDetectedChip?.bind(loader);
  if (apply) hook.applyDetectedChip = (chip) => { checkDetectedChip(chip.CHIP_NAME, o.port, o.board); apply(chip); };
  const heard = (re: RegExp) => said.map((l) => re.exec(l)?.[1]).filter(Boolean).pop();
  const noAnswer = () => fail("flash", `the ESP ROM bootloader did not answer on ${o.port}`,
    `hold BOOT while pressing RESET, then try again; or run: ${plan.command}`);
  try {
    o.log(`I flash: connecting to the ESP ROM bootloader on ${o.port} at ${ROM_BAUD} baud (resetting the board into download mode)`);
    try {
      await bounded(loader.main(), o.connectTimeoutMs ?? 60_000);
    } catch (e) {
      if (e instanceof ToolError) throw e;
      const msg = String((e as Error)?.message ?? e);
      if (/ENOENT|EACCES|Permission denied|Cannot lock|Resource temporarily unavailable|No such file/i.test(msg)) {
        throw openError("flash", o.port, e);
      }
      if (e instanceof TimeoutBound || !loader.chip) throw noAnswer();
      throw fail("flash", `the ${loader.chip.CHIP_NAME} bootloader on ${o.port} stopped answering (${msg.split("\n")[0]})`,
        `press RESET and try again with a lower --baud (e.g. --baud 115200); or run: ${plan.command}`);
    }
    const chipName = loader.chip.CHIP_NAME;
    const desc = heard(/^Chip is (.+)$/) ?? chipName;
    const mac = heard(/^MAC: (.+)$/);
    o.log(`I flash: found ${desc}${mac ? `, MAC ${mac}` : ""}`);
    // esptool-js falls back to the ROM's baud rate on its own when the faster one fails: say so.
    const slower = heard(/^((?:Unable to use|The board (?:reset|stopped)).*)$/);
    if (slower) o.warn(`W flash: ${slower} (slower, but it works; a shorter cable or --baud 115200 avoids this)`);
    checkDetectedChip(chipName, o.port, o.board);

    const files = plan.images.map((i) => ({ ...i, data: new Uint8Array(readFileSync(i.path)), address: parseInt(i.offset, 16) }));
    o.log(`I flash: writing ${files.length} images at ${o.baud} baud (compressed, each verified by MD5)`);
    const bar = progress("flash", o.progressStream);
    try {
      await loader.writeFlash({
        fileArray: files.map((f) => ({ data: f.data, address: f.address })),
        flashSize: "keep", flashMode: "keep", flashFreq: "keep", eraseAll: false, compress: true,
        reportProgress: writeProgress(files.map((f) => ({ ...f, size: f.data.length })), o.log, bar),
        calculateMD5Hash: (image) => createHash("md5").update(image).digest("hex"),
      });
    } catch (e) {
      const msg = String((e as Error)?.message ?? e).split("\n")[0];
      throw fail("flash", `writing Espruino to the ${chipName} on ${o.port} failed (${msg})`,
        `press RESET and run the same command again${o.baud > ROM_BAUD ? ` with --baud ${ROM_BAUD}` : ""}; or run: ${plan.command}`);
    } finally {
      bar.done(); // the error line, if any, starts on a clean line
    }
    o.log(`I flash: all ${files.length} images written and verified; hard reset so the board starts Espruino`);
    await loader.after("hard_reset");
  } finally {
    await transport.disconnect().catch(() => undefined);
    await device.close();
  }
}

class TimeoutBound extends Error {}

/** Rejects with TimeoutBound after ms; the loser is left to fail quietly when the port closes. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new TimeoutBound(`no answer within ${ms} ms`)), ms); });
  p.catch(() => undefined);
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
