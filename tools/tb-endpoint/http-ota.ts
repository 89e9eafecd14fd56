// The part of ThingsBoard's REST API a tool uses to upload a firmware package and assign it to a device,
// with ThingsBoard's paths, JSON and error messages (AuthController, OtaPackageController, DeviceController
// and their validators; docs/thingsboard.md §6): login, OTA package info and file, device by name, device
// save. Also the login check every other /api call goes through when the endpoint has credentials.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, isObject, readBody, readJson, sendJson } from "./http-util.ts";
import { checksumOf, isChecksumAlgorithm, type OtaPackage, type OtaPackages, type OtaType } from "./ota.ts";

export interface RestDevice {
  id: string;
  name: string;
  createdTime: number;
  firmwareId?: string;
  /** ThingsBoard's optimistic-locking counter, raised by every save. */
  version: number;
}

export interface RestBackend {
  readonly tenantId: string;
  readonly deviceProfileId: string;
  readonly packages: OtaPackages;
  /** The credentials a login must give; undefined: any, and no call needs a token. */
  readonly login?: { username: string; password: string };
  deviceByName(name: string): RestDevice | undefined;
  deviceById(id: string): RestDevice | undefined;
  /** Ids of the packages assigned to some device (kept when old packages are dropped). */
  packagesInUse(): Set<string>;
  /** Assigns the package (or none) to the device as ThingsBoard does on a device save. */
  setFirmware(deviceName: string, packageId: string | undefined): void;
}

/** ThingsBoard's id of "no customer". */
const NULL_UUID = "13814000-1dd2-11b2-8080-808080808080";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Largest package file accepted (ThingsBoard's own default limit is 50 MB; a bundle is some kilobytes). */
const MAX_UPLOAD_BYTES = 16 << 20;
const MAX_TOKENS = 1000;
const ALL_ALGORITHMS = ["MD5", "SHA256", "SHA384", "SHA512", "CRC32", "MURMUR3_32", "MURMUR3_128"];
const NOT_FOUND = "Requested item wasn't found!";

/** Tokens handed out by logins, oldest forgotten first. */
const issued = new WeakMap<RestBackend, Set<string>>();

/** Handles the login check and the calls of this module; false when `path` is none of them. */
export async function handleRest(b: RestBackend, req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): Promise<boolean> {
  if (path === "/api/auth/login") {
    allow(req, "POST");
    sendJson(res, 200, await login(b, req));
    return true;
  }
  if (path.startsWith("/api/") && b.login && !hasToken(b, req)) throw new HttpError(401, "Authentication failed");
  if (path === "/api/tenant/devices") {
    allow(req, "GET");
    const name = q.get("deviceName");
    if (name === null) throw new HttpError(400, "Required request parameter 'deviceName' is not present (the local endpoint has no paged device list; GET /api/devices lists the names)");
    const d = b.deviceByName(name);
    if (!d) throw new HttpError(404, NOT_FOUND);
    sendJson(res, 200, deviceJson(b, d));
    return true;
  }
  if (path === "/api/device") {
    allow(req, "POST");
    sendJson(res, 200, deviceJson(b, saveDevice(b, await readJson(req))));
    return true;
  }
  if (path === "/api/otaPackage") {
    allow(req, "POST");
    sendJson(res, 200, packageJson(b, savePackageInfo(b, await readJson(req))));
    return true;
  }
  const data = /^\/api\/otaPackage\/([^/]+)$/.exec(path);
  if (data) {
    allow(req, "POST");
    sendJson(res, 200, packageJson(b, await savePackageData(b, decodeSegment(data[1]!), q, req)));
    return true;
  }
  return false;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad percent-encoding in "${segment}"`);
  }
}

function allow(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, `Request method '${req.method}' is not supported; use ${method}`);
}

async function login(b: RestBackend, req: IncomingMessage): Promise<{ token: string; refreshToken: string }> {
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    body = undefined;
  }
  // ThingsBoard refuses a body without both fields before it checks them.
  if (!isObject(body) || typeof body.username !== "string" || typeof body.password !== "string") {
    throw new HttpError(401, "Authentication failed");
  }
  if (b.login && (body.username !== b.login.username || body.password !== b.login.password)) {
    throw new HttpError(401, "Invalid username or password");
  }
  const token = randomBytes(24).toString("base64url");
  const tokens = issued.get(b) ?? new Set<string>();
  issued.set(b, tokens);
  tokens.add(token);
  if (tokens.size > MAX_TOKENS) tokens.delete(tokens.values().next().value!);
  return { token, refreshToken: randomBytes(24).toString("base64url") };
}

/** ThingsBoard takes the JWT from `X-Authorization: Bearer <token>` (or the standard Authorization header). */
function hasToken(b: RestBackend, req: IncomingMessage): boolean {
  const header = req.headers["x-authorization"] ?? req.headers.authorization;
  const m = typeof header === "string" ? /^Bearer (\S+)$/.exec(header) : null;
  return !!m && (issued.get(b)?.has(m[1]!) ?? false);
}

function entityId(entityType: string, id: string): { entityType: string; id: string } {
  return { entityType, id };
}

/** The id inside `{"entityType": ..., "id": ...}`, as ThingsBoard's JSON carries references. */
function idOf(v: unknown, field: string): string | null | undefined {
  if (v === undefined || v === null) return v;
  if (!isObject(v) || typeof v.id !== "string") throw new HttpError(400, `${field} must be {"entityType": ..., "id": "<uuid>"} or null`);
  return v.id;
}

function deviceJson(b: RestBackend, d: RestDevice): Record<string, unknown> {
  return {
    id: entityId("DEVICE", d.id), createdTime: d.createdTime, tenantId: entityId("TENANT", b.tenantId),
    customerId: entityId("CUSTOMER", NULL_UUID), name: d.name, type: "default", label: null,
    deviceProfileId: entityId("DEVICE_PROFILE", b.deviceProfileId),
    firmwareId: d.firmwareId ? entityId("OTA_PACKAGE", d.firmwareId) : null, softwareId: null, externalId: null,
    deviceData: { configuration: { type: "DEFAULT" }, transportConfiguration: { type: "DEFAULT" } },
    additionalInfo: null, version: d.version,
  };
}

function packageJson(b: RestBackend, p: OtaPackage): Record<string, unknown> {
  return {
    id: entityId("OTA_PACKAGE", p.id), createdTime: p.createdTime, tenantId: entityId("TENANT", b.tenantId),
    deviceProfileId: p.deviceProfileId ? entityId("DEVICE_PROFILE", p.deviceProfileId) : null,
    type: p.type, title: p.title, version: p.version, tag: p.tag, url: null, hasData: !!p.data,
    fileName: p.data?.fileName ?? null, contentType: p.data?.contentType ?? null,
    checksumAlgorithm: p.data?.checksumAlgorithm ?? null, checksum: p.data?.checksum ?? null,
    dataSize: p.data?.bytes.length ?? null, externalId: null, additionalInfo: p.additionalInfo ?? null,
  };
}

/** POST /api/otaPackage: a new package's info, checked in the order of ThingsBoard's validator. */
function savePackageInfo(b: RestBackend, body: unknown): OtaPackage {
  if (!isObject(body)) throw new HttpError(400, 'body must be OtaPackageInfo JSON: {"title", "version", "type": "FIRMWARE", "deviceProfileId"}');
  if (body.id !== undefined && body.id !== null) {
    throw new HttpError(400, "changing a saved OTA package is not supported by the local endpoint; save a new one without \"id\"");
  }
  const profileId = idOf(body.deviceProfileId, "deviceProfileId");
  if (profileId && profileId !== b.deviceProfileId) throw new HttpError(400, "OtaPackage is referencing to non-existent device profile!");
  if (body.type === undefined || body.type === null) throw new HttpError(400, "Type should be specified!");
  if (body.type !== "FIRMWARE" && body.type !== "SOFTWARE") {
    throw new HttpError(400, `Cannot deserialize value of type OtaPackageType from String ${JSON.stringify(body.type)}: use FIRMWARE or SOFTWARE`);
  }
  const title = body.title;
  const version = body.version;
  if (typeof title !== "string" || !title) throw new HttpError(400, "OtaPackage title should be specified!");
  if (typeof version !== "string" || !version) throw new HttpError(400, "OtaPackage version should be specified!");
  if (title.length > 255) throw new HttpError(400, "The length of title should be equal or shorter than 255");
  if (version.length > 255) throw new HttpError(400, "The length of version should be equal or shorter than 255");
  if (body.url || body.usesUrl === true) throw new HttpError(400, "a package given by URL is not supported by the local endpoint; upload its file");
  if (b.packages.find(title, version)) throw new HttpError(400, "OtaPackage with such title and version already exists!");
  return b.packages.add({
    type: body.type as OtaType, title, version, tag: typeof body.tag === "string" && body.tag ? body.tag : null,
    deviceProfileId: profileId ?? "", additionalInfo: body.additionalInfo ?? null,
  }, b.packagesInUse());
}

function packageById(b: RestBackend, id: string): OtaPackage {
  if (!UUID.test(id)) throw new HttpError(400, `Invalid UUID string: ${id}`);
  const p = b.packages.get(id);
  if (!p) throw new HttpError(404, NOT_FOUND);
  return p;
}

/** POST /api/otaPackage/{id}?checksumAlgorithm=SHA256[&checksum=hex], multipart field `file`. */
async function savePackageData(b: RestBackend, id: string, q: URLSearchParams, req: IncomingMessage): Promise<OtaPackage> {
  const algorithmText = q.get("checksumAlgorithm");
  if (!algorithmText) throw new HttpError(400, "Required request parameter 'checksumAlgorithm' for method parameter type String is not present");
  const p = packageById(b, id);
  const algorithm = algorithmText.toUpperCase();
  if (!ALL_ALGORITHMS.includes(algorithm)) throw new HttpError(400, `No enum constant org.thingsboard.server.common.data.ota.ChecksumAlgorithm.${algorithm}`);
  if (!isChecksumAlgorithm(algorithm)) throw new HttpError(400, `checksumAlgorithm ${algorithm} is not supported by the local endpoint; use SHA256`);
  const file = await multipartFile(req);
  if (!file.name) throw new HttpError(400, "OtaPackage file name should be specified!");
  if (!file.type) throw new HttpError(400, "OtaPackage content type should be specified!");
  const bytes = Buffer.from(await file.arrayBuffer());
  const checksum = checksumOf(algorithm, bytes);
  const given = q.get("checksum");
  if (given && given !== checksum) throw new HttpError(400, "Wrong otaPackage file!");
  if (p.data && !p.data.bytes.equals(bytes)) throw new HttpError(400, "Updating otaPackage data is prohibited!");
  p.data = { bytes, fileName: file.name, contentType: file.type, checksumAlgorithm: algorithm, checksum };
  return p;
}

/** The `file` part, parsed by Node's own fetch implementation (undici), which reads multipart bodies. */
async function multipartFile(req: IncomingMessage): Promise<File> {
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) throw new HttpError(400, "Current request is not a multipart request; send the file as multipart/form-data field \"file\"");
  const body = await readBody(req, MAX_UPLOAD_BYTES);
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": type } }).formData();
  } catch {
    throw new HttpError(400, "Failed to parse multipart servlet request: the body does not match its multipart/form-data boundary");
  }
  const file = form.get("file");
  // A part without a filename is a plain field, which Spring does not take as the file either.
  if (!file || typeof file === "string") throw new HttpError(400, "Required request part 'file' is not present");
  return file;
}

/** POST /api/device: only the firmware assignment of a device the endpoint knows can change. */
function saveDevice(b: RestBackend, body: unknown): RestDevice {
  if (!isObject(body)) throw new HttpError(400, "body must be the device's JSON, as GET /api/tenant/devices?deviceName=NAME returns it");
  const id = idOf(body.id, "id");
  if (!id) throw new HttpError(400, "the local endpoint does not create devices; list them in its devices file, then save one with its \"id\"");
  const d = b.deviceById(id);
  if (!d) throw new HttpError(404, NOT_FOUND);
  if (body.name !== undefined && body.name !== d.name) throw new HttpError(400, `renaming a device is not supported by the local endpoint; keep "name": ${JSON.stringify(d.name)}`);
  if (idOf(body.softwareId, "softwareId")) throw new HttpError(400, "assigning software is not supported by the local endpoint; leave \"softwareId\" null");
  const firmwareId = idOf(body.firmwareId, "firmwareId");
  if (firmwareId) {
    const p = b.packages.get(firmwareId);
    if (!p) throw new HttpError(400, "Can't assign non-existent firmware!");
    if (p.type !== "FIRMWARE") throw new HttpError(400, `Can't assign firmware with type: ${p.type}`);
    if (!p.data) throw new HttpError(400, "Can't assign firmware with empty data!");
    if (p.deviceProfileId !== b.deviceProfileId) throw new HttpError(400, "Can't assign firmware with different deviceProfile!");
  }
  b.setFirmware(d.name, firmwareId ?? undefined);
  return b.deviceByName(d.name)!;
}
