// The signed OTA package of docs/ota.md §2: one header line, a newline, then the bundle byte for byte.
// The HMAC covers the header's fields and the bundle's SHA-256, not the bundle itself, so the board can
// check an update while it lies in Storage without holding it in RAM.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { BOARDS, isBoardName, ToolError, type BoardName } from "../common/index.ts";
import { FIRMWARE_VERSION_RULE } from "../bundler/config-rules.ts";

/** How every package starts (docs/ota.md §2). */
export const OTA_HEADER_PREFIX = "// tb-espruino-ota ";
/** The header's fields, in the order they must appear. */
const FIELDS = ["board", "title", "version", "hmac"] as const;
/** Longer than any valid header (about 180 bytes), so a file without a newline is refused quickly. */
export const MAX_HEADER_BYTES = 256;
/** The key is the 32 bytes of the board's `.tbkey`. */
export const KEY_BYTES = 32;
/** docs/ota.md §2: title and version, the same rule as the config's firmwareVersion. */
export const NAME_RULE = FIRMWARE_VERSION_RULE;
export const NAME_RULE_TEXT = "1 to 32 characters of A-Z a-z 0-9 . _ + -";
const HEX64 = /^[0-9a-f]{64}$/;

/** A package that is malformed: the message is one `E ota:` line with the cause and the fix. */
export class OtaPackageError extends ToolError {}

export interface PackageFields {
  board: BoardName;
  title: string;
  version: string;
}

export interface ParsedPackage extends PackageFields {
  /** 64 lowercase hex characters, as in the header. */
  hmac: string;
  /** The header line without its newline. */
  header: string;
  /** The bytes after the header's newline. */
  bundle: Buffer;
}

/** What ThingsBoard stores beside the package (docs/ota.md §2), with the names it gives them. */
export interface OtaAttributes {
  fw_title: string;
  fw_version: string;
  fw_size: number;
  fw_checksum: string;
  fw_checksum_algorithm: "SHA256";
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** undefined when `value` may be a title or version, else why not (for an error line). */
export function nameProblem(what: "title" | "version", value: string): string | undefined {
  if (NAME_RULE.test(value)) return undefined;
  return `${what} ${JSON.stringify(value.slice(0, 40))}${value.length > 40 ? "…" : ""} breaks the rule: ${NAME_RULE_TEXT}`;
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new ToolError(`E ota: the update key is ${Buffer.isBuffer(key) ? key.length + " bytes" : "not a Buffer"}, not ${KEY_BYTES}: ` +
      "load it with loadKey() from the .ota-key file beside the config (64 hex characters)");
  }
}

/** The header up to (not including) ` hmac=`. */
function unsignedHeader(f: PackageFields): string {
  return `${OTA_HEADER_PREFIX}board=${f.board} title=${f.title} version=${f.version}`;
}

/** HMAC-SHA-256 over the unsigned header, a newline and the bundle's SHA-256 in hex (docs/ota.md §2). */
export function packageHmac(f: PackageFields, bundle: Buffer, key: Buffer): string {
  checkKey(key);
  return createHmac("sha256", key).update(`${unsignedHeader(f)}\n${sha256(bundle)}`, "latin1").digest("hex");
}

/**
 * The package for `bundle`: a string is taken as the build writes it (UTF-8), a Buffer byte for byte.
 * Throws a ToolError (`E ota: …`) naming a bad title, version, board, key or bundle.
 */
export function makePackage(o: { bundle: string | Buffer; board: BoardName; title: string; version: string; key: Buffer }): Buffer {
  const problem = nameProblem("title", o.title) ?? nameProblem("version", o.version);
  if (problem) throw new ToolError(`E ota: ${problem}: choose another (docs/ota.md §2)`);
  if (!isBoardName(o.board)) {
    throw new ToolError(`E ota: board ${JSON.stringify(o.board)} is not one of ${BOARDS.join(", ")}: build for one of them`);
  }
  const bundle = Buffer.isBuffer(o.bundle) ? o.bundle : Buffer.from(o.bundle, "utf8");
  if (bundle.length === 0) throw new ToolError("E ota: the bundle is empty: build the firmware first (npm run build)");
  const first = bundle.subarray(0, 200).toString("latin1");
  if (first.startsWith(OTA_HEADER_PREFIX)) {
    throw new ToolError("E ota: the bundle is already an OTA package: sign the bundle the build wrote, not a package");
  }
  // A bundle names the chip it was built for on its first line (tools/bundler/inputs.ts, preambleLine).
  const built = /^\/\/ tb-espruino-device \S+ board=(\S+)/.exec(first)?.[1];
  if (built !== undefined && built !== o.board) {
    throw new ToolError(`E ota: the bundle was built for ${built}, not ${o.board}: build it for ${o.board} or sign it for ${built}`);
  }
  const fields = { board: o.board, title: o.title, version: o.version };
  const header = `${unsignedHeader(fields)} hmac=${packageHmac(fields, bundle, o.key)}\n`;
  return Buffer.concat([Buffer.from(header, "latin1"), bundle]);
}

/** Parses the header of `buf`; throws an OtaPackageError naming the defect. `name` is the package in messages. */
export function readPackage(buf: Buffer, name = "the package"): ParsedPackage {
  const bad = (what: string, fix = "make it again with npm run ota") => new OtaPackageError(`E ota: ${name}: ${what}: ${fix}`);
  const head = buf.subarray(0, MAX_HEADER_BYTES).toString("latin1");
  if (!head.startsWith(OTA_HEADER_PREFIX)) {
    if (head.startsWith("// tb-espruino-device ")) {
      throw bad("is a firmware bundle, not an OTA package (no // tb-espruino-ota header)", "make the package from it with npm run ota -- --fw-version V");
    }
    throw bad(`does not start with ${JSON.stringify(OTA_HEADER_PREFIX)}, so it is not an OTA package`);
  }
  const nl = head.indexOf("\n");
  if (nl < 0) throw bad(`has no newline within its first ${MAX_HEADER_BYTES} bytes: the header line is cut or damaged`);
  const header = head.slice(0, nl);
  if (header.endsWith("\r")) throw bad("the header ends in a carriage return: the file was converted to CRLF line endings", "use the file npm run ota wrote, unchanged");
  const parts = header.slice(OTA_HEADER_PREFIX.length).split(" ");
  const values: Record<string, string> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const want = FIELDS[i]!;
    const part = parts[i];
    if (part === undefined) throw bad(`the header lacks ${want}= (it needs ${FIELDS.map((f) => f + "=").join(" ")}, in that order)`);
    if (!part.startsWith(want + "=")) {
      throw bad(`the header's field ${i + 1} is ${JSON.stringify(part.slice(0, 40))}, not ${want}=… (it needs ${FIELDS.map((f) => f + "=").join(" ")}, in that order)`);
    }
    values[want] = part.slice(want.length + 1);
  }
  if (parts.length > FIELDS.length) throw bad(`the header has more after hmac=: ${JSON.stringify(parts.slice(FIELDS.length).join(" ").slice(0, 40))}`);
  const board = values.board!;
  if (!isBoardName(board)) throw bad(`the header's board ${JSON.stringify(board)} is not one of ${BOARDS.join(", ")}`);
  const problem = nameProblem("title", values.title!) ?? nameProblem("version", values.version!);
  if (problem) throw bad(`the header's ${problem}`);
  if (!HEX64.test(values.hmac!)) throw bad(`the header's hmac ${JSON.stringify(values.hmac!.slice(0, 70))} is not 64 lowercase hex characters`);
  const bundle = buf.subarray(Buffer.byteLength(header, "latin1") + 1);
  if (bundle.length === 0) throw bad("holds no bundle after its header");
  return { board, title: values.title!, version: values.version!, hmac: values.hmac!, header, bundle };
}

/**
 * True when `buf` is a well-formed package whose HMAC matches under `key`; false for any defect or
 * change (readPackage tells which defect). Compares in constant time. Throws only for a key that is not 32 bytes.
 */
export function verifyPackage(buf: Buffer, key: Buffer): boolean {
  checkKey(key);
  let p: ParsedPackage;
  try {
    p = readPackage(buf);
  } catch (e) {
    if (e instanceof OtaPackageError) return false;
    throw e;
  }
  const want = Buffer.from(packageHmac(p, p.bundle, key), "hex");
  return timingSafeEqual(want, Buffer.from(p.hmac, "hex"));
}

/** ThingsBoard's attributes for a package (docs/ota.md §2): fw_size and fw_checksum are of the whole package. */
export function otaAttributes(pkg: Buffer): OtaAttributes {
  const p = readPackage(pkg);
  return { fw_title: p.title, fw_version: p.version, fw_size: pkg.length, fw_checksum: sha256(pkg), fw_checksum_algorithm: "SHA256" };
}
