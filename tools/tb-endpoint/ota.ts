// Firmware updates as ThingsBoard serves them (docs/thingsboard.md §6): the OTA packages the endpoint
// keeps, the shared attributes an assignment sets, and the answer to a device's chunk request, decided
// here as pure functions and sent by the session. SOFTWARE packages are never assigned here, so a
// software chunk request always gets ThingsBoard's NOT_FOUND.
import { createHash, randomUUID } from "node:crypto";
import { PayloadError } from "./payloads.ts";

export type OtaType = "FIRMWARE" | "SOFTWARE";

/** ThingsBoard's checksum algorithms that node:crypto computes (CRC32 and MURMUR3 are not offered here). */
export const CHECKSUM_ALGORITHMS = { MD5: "md5", SHA256: "sha256", SHA384: "sha384", SHA512: "sha512" } as const;
export type ChecksumAlgorithm = keyof typeof CHECKSUM_ALGORITHMS;

export interface OtaData {
  bytes: Buffer;
  fileName: string;
  contentType: string;
  checksumAlgorithm: ChecksumAlgorithm;
  checksum: string;
}

export interface OtaPackage {
  id: string;
  createdTime: number;
  type: OtaType;
  title: string;
  version: string;
  tag: string | null;
  deviceProfileId: string;
  additionalInfo: unknown;
  /** Absent until the file is uploaded; a package without it cannot be assigned. */
  data?: OtaData;
}

/** What the endpoint tells about an assigned package (the "firmwareAssigned" event, assignFirmware's result). */
export interface OtaSummary {
  id: string;
  title: string;
  version: string;
  size: number;
  checksum: string;
}

/** The latest of the OTA telemetry keys a device reports; undefined keys were never reported. */
export interface FirmwareState {
  fw_state?: string;
  fw_error?: string;
  current_fw_title?: string;
  current_fw_version?: string;
  /** When the newest of them was stored (ms). */
  ts: number;
}

export const FIRMWARE_STATE_KEYS = ["fw_state", "fw_error", "current_fw_title", "current_fw_version"] as const;

/** Test-only faults (tools/tb-endpoint/README.md): each acts once, on the first request for that chunk. */
export interface FirmwareFaults {
  /** Send no answer to the first request for this chunk (its PUBACK still goes, as for a lost PUBLISH). */
  ignoreChunk?: number;
  /** Close the session right after answering this chunk. */
  closeAfterChunk?: number;
}

/** The shared attributes ThingsBoard sets for a package without URL; fw_tag only when it has a tag. */
export const FIRMWARE_ATTRIBUTE_KEYS = ["fw_title", "fw_version", "fw_tag", "fw_url", "fw_size", "fw_checksum", "fw_checksum_algorithm"];

/** Packages kept at most; beyond it the oldest one assigned to no device is dropped. */
const MAX_PACKAGES = 100;
/** Request ids a session remembers (chunk size, package) at most, oldest forgotten first. */
const MAX_REQUEST_IDS = 1024;

export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  return createHash(CHECKSUM_ALGORITHMS[algorithm]).update(data).digest("hex");
}

export function isChecksumAlgorithm(s: string): s is ChecksumAlgorithm {
  return Object.hasOwn(CHECKSUM_ALGORITHMS, s);
}

export class OtaPackages {
  private readonly byId = new Map<string, OtaPackage>();

  constructor(readonly deviceProfileId: string) {}

  get(id: string): OtaPackage | undefined {
    return this.byId.get(id);
  }

  /** ThingsBoard keeps title and version unique per tenant, whatever the type. */
  find(title: string, version: string): OtaPackage | undefined {
    for (const p of this.byId.values()) if (p.title === title && p.version === version) return p;
    return undefined;
  }

  /** Stores a new package; `inUse` names the packages that must survive the size limit. */
  add(p: Omit<OtaPackage, "id" | "createdTime">, inUse: Set<string>): OtaPackage {
    const saved: OtaPackage = { ...p, id: randomUUID(), createdTime: Date.now() };
    this.byId.set(saved.id, saved);
    for (const old of this.byId.values()) {
      if (this.byId.size <= MAX_PACKAGES) break;
      if (old.id !== saved.id && !inUse.has(old.id)) this.byId.delete(old.id);
    }
    return saved;
  }
}

export function summary(p: OtaPackage): OtaSummary {
  return { id: p.id, title: p.title, version: p.version, size: p.data?.bytes.length ?? 0, checksum: p.data?.checksum ?? "" };
}

/**
 * The shared attributes an assignment sets, and the keys it deletes (ThingsBoard removes fw_tag when
 * the package has none, and fw_url for a package stored with its file).
 */
export function assignmentAttributes(p: OtaPackage & { data: OtaData }): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = { fw_title: p.title, fw_version: p.version };
  const remove = ["fw_url"];
  if (p.tag) set.fw_tag = p.tag;
  else remove.unshift("fw_tag");
  Object.assign(set, { fw_size: p.data.bytes.length, fw_checksum_algorithm: p.data.checksumAlgorithm, fw_checksum: p.data.checksum });
  return { set, remove };
}

// ---- chunk requests ----

export interface ChunkRequest {
  /** Topic key: "fw" (firmware) or "sw" (software). */
  type: "fw" | "sw";
  /** As written in the topic: ThingsBoard keeps it as text and echoes it unchanged. */
  requestId: string;
  chunk: number;
  /** The payload as a number; 0 for an empty payload. */
  size: number;
}

// ThingsBoard matches these with Matcher.find(), so neither end is anchored.
const REQUEST_PATTERNS = [["fw", /v2\/fw\/request\/(\d+)\/chunk\/(\d+)/], ["sw", /v2\/sw\/request\/(\d+)\/chunk\/(\d+)/]] as const;

/**
 * The chunk request a topic and payload make, undefined when the topic is no chunk request. Throws
 * PayloadError (the session closes, no PUBACK) where ThingsBoard's Integer.parseInt throws: a payload
 * that is not a whole number in int range, or a chunk number beyond it.
 */
export function parseChunkRequest(topic: string, payload: Buffer): ChunkRequest | undefined {
  for (const [type, pattern] of REQUEST_PATTERNS) {
    const m = pattern.exec(topic);
    if (!m) continue;
    const text = payload.toString("utf8");
    const size = text === "" ? 0 : javaParseInt(text);
    if (size === undefined) throw new PayloadError(`${type} chunk request: chunk size ${preview(text)} is not a whole number`);
    const chunk = javaParseInt(m[2]!);
    if (chunk === undefined) throw new PayloadError(`${type} chunk request: chunk number ${m[2]} is out of range`);
    return { type, requestId: m[1]!, chunk, size };
  }
  return undefined;
}

/** Java's Integer.parseInt for ASCII text: optional sign, decimal digits, 32-bit range; else undefined. */
export function javaParseInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}...` : text);
}

/**
 * Bytes [chunk*size, (chunk+1)*size) of the package, empty past its end, the whole package for a size
 * below 1 (ThingsBoard's default package cache). Undefined where ThingsBoard sends nothing: its offset,
 * an int product, overflowed to a negative number and the copy threw.
 */
export function chunkOf(data: Buffer, size: number, chunk: number): Buffer | undefined {
  if (size < 1) return data;
  const start = Math.imul(size, chunk);
  if (start < 0) return undefined;
  return start < data.length ? data.subarray(start, start + size) : Buffer.alloc(0);
}

/** Per session, as ThingsBoard keeps them per connection: each request id's chunk size and package. */
export class OtaSessionState {
  readonly sizes = new Map<string, number>();
  readonly packages = new Map<string, string>();
}

export type ChunkAnswer =
  /** Publish `error` as text on `topic`, then close the session; no PUBACK. */
  | { kind: "error"; topic: string; error: "NOT_FOUND" | "PAYLOAD_TOO_LARGE" }
  /** PUBACK, then `bytes` on `topic` (nothing when undefined). */
  | { kind: "chunk"; topic: string; bytes: Buffer | undefined; packageId: string };

/**
 * ThingsBoard's answer to a chunk request: a size above 0 is remembered for the request id, 0 or less
 * means the one remembered (or 0); a size over the largest payload is PAYLOAD_TOO_LARGE; the request id
 * stays bound to the package it first got, otherwise the device's assigned one, none being NOT_FOUND.
 */
export function answerChunk(
  req: ChunkRequest, state: OtaSessionState, maxPayload: number, lookup: (type: "fw" | "sw") => OtaPackage | undefined,
  packageById: (id: string) => OtaPackage | undefined,
): ChunkAnswer {
  let size = req.size;
  if (size > 0) rememberIn(state.sizes, req.requestId, size);
  else size = state.sizes.get(req.requestId) ?? 0;
  const errorTopic = `v2/${req.type}/error`;
  if (size > maxPayload) return { kind: "error", topic: errorTopic, error: "PAYLOAD_TOO_LARGE" };
  const boundId = state.packages.get(req.requestId);
  const pkg = boundId ? packageById(boundId) : lookup(req.type);
  if (!pkg?.data) return { kind: "error", topic: errorTopic, error: "NOT_FOUND" };
  if (!boundId) rememberIn(state.packages, req.requestId, pkg.id);
  return { kind: "chunk", topic: `v2/${req.type}/response/${req.requestId}/chunk/${req.chunk}`, bytes: chunkOf(pkg.data.bytes, size, req.chunk), packageId: pkg.id };
}

/** Sets a key as the newest, forgetting the oldest beyond MAX_REQUEST_IDS (a device may use any number of ids). */
function rememberIn<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REQUEST_IDS) map.delete(map.keys().next().value!);
}
