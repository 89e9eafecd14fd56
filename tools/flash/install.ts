// Installing the Espruino interpreter itself: pick the three images of a release (.tgz or folder)
// for the board's chip, check they really are for that chip, and give the esptool command that
// writes them at the board JSON's offsets (platform doc §2).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { BoardJson } from "../build/board.ts";
import { fail } from "./errors.ts";

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
