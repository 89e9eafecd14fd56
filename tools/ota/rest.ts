// Uploads an OTA package (docs/ota.md §2) to ThingsBoard and assigns it to one device, with the REST calls
// ThingsBoard's own UI makes (docs/thingsboard.md §6): log in, find the device, save the package's info,
// upload its file, save the device with the package as its firmware. The local endpoint
// (tools/tb-endpoint/) answers the same calls. Every failure is one line naming the call and the fix.
import { createHash } from "node:crypto";
import { fail } from "../common/index.ts";

export interface UploadOptions {
  /** ThingsBoard's web address, e.g. http://localhost:8080 (a path prefix is kept). */
  url: string;
  /** A tenant administrator's login. */
  username: string;
  password: string;
  deviceName: string;
  title: string;
  version: string;
  /** The whole OTA package. */
  data: Buffer;
}

/** How long one call may take before it counts as unanswered. */
const CALL_TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  body: unknown;
}

export async function uploadToThingsBoard(o: UploadOptions): Promise<{ packageId: string }> {
  const base = baseUrl(o.url);
  const call = (method: string, path: string, what: string, body?: string | FormData, token?: string, contentType?: string) =>
    request(base, method, path, what, body, token, contentType);

  const login = await call("POST", "/api/auth/login", "login", JSON.stringify({ username: o.username, password: o.password }), undefined, "application/json");
  if (login.status === 401) {
    throw fail("ota", `ThingsBoard at ${base} refused the login as ${JSON.stringify(o.username)} (401 ${message(login)})`,
      "check the user name and password (a tenant administrator's)");
  }
  expectOk(login, "POST /api/auth/login", base, "check the URL: it must be ThingsBoard's web address, e.g. http://localhost:8080");
  const token = field(login, "token", "POST /api/auth/login", base);

  const path = `/api/tenant/devices?deviceName=${encodeURIComponent(o.deviceName)}`;
  const found = await call("GET", path, "device lookup", undefined, token);
  if (found.status === 404) {
    throw fail("ota", `ThingsBoard at ${base} has no device named ${JSON.stringify(o.deviceName)} (GET /api/tenant/devices: 404)`,
      "give the device's name exactly as ThingsBoard lists it, or create the device there first");
  }
  expectOk(found, "GET /api/tenant/devices", base, "check that the user is a tenant administrator of the device's tenant");
  const device = found.body as Record<string, unknown>;
  if (!isEntityId(device.id) || !isEntityId(device.deviceProfileId)) badAnswer("GET /api/tenant/devices", base, "a device without id or deviceProfileId");

  const info = await call("POST", "/api/otaPackage", "package info",
    JSON.stringify({ title: o.title, version: o.version, type: "FIRMWARE", deviceProfileId: device.deviceProfileId }), token, "application/json");
  if (info.status === 400 && /already exists/i.test(message(info))) {
    throw fail("ota", `ThingsBoard at ${base} already has a package ${o.title} ${o.version} (POST /api/otaPackage: ${message(info)})`,
      "build the update with a new version, or delete the old package in ThingsBoard (OTA updates)");
  }
  expectOk(info, "POST /api/otaPackage", base, "check the title and version, and that the user is a tenant administrator");
  const packageId = (info.body as { id?: unknown }).id;
  if (!isEntityId(packageId)) badAnswer("POST /api/otaPackage", base, "package info without id");

  const form = new FormData();
  form.append("file", new Blob([o.data], { type: "application/octet-stream" }), `${o.title}-${o.version}.js`);
  const uploaded = await call("POST", `/api/otaPackage/${packageId.id}?checksumAlgorithm=SHA256`, "package upload", form, token);
  expectOk(uploaded, `POST /api/otaPackage/${packageId.id}`, base, `the package info was saved without its file: delete ${o.title} ${o.version} in ThingsBoard (OTA updates), then try again`);
  const sha256 = createHash("sha256").update(o.data).digest("hex");
  const saved = uploaded.body as { checksum?: unknown; dataSize?: unknown };
  if (saved.checksum !== sha256 || saved.dataSize !== o.data.length) {
    throw fail("ota", `ThingsBoard at ${base} stored the package with checksum ${String(saved.checksum)} and ${String(saved.dataSize)} bytes, ` +
      `not ${sha256} and ${o.data.length} (POST /api/otaPackage/${packageId.id})`, "upload it again; if it repeats, add the package in ThingsBoard's UI");
  }

  const assigned = await call("POST", "/api/device", "device save", JSON.stringify({ ...device, firmwareId: packageId }), token, "application/json");
  expectOk(assigned, "POST /api/device", base,
    `assign package ${o.title} ${o.version} to ${o.deviceName} in ThingsBoard's UI (Devices, the device, Firmware)`);
  return { packageId: packageId.id };
}

function baseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail("ota", `ThingsBoard URL ${JSON.stringify(url)} is not a URL`, "give its web address, e.g. http://localhost:8080");
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw fail("ota", `ThingsBoard URL ${url} is not http(s)`, "give its web address, e.g. http://localhost:8080 (not the MQTT address)");
  }
  return (u.origin + u.pathname).replace(/\/+$/, "");
}

async function request(base: string, method: string, path: string, what: string, body?: string | FormData, token?: string, contentType?: string): Promise<Answer> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (contentType) headers["content-type"] = contentType;
  if (token) headers["x-authorization"] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why = err.name === "TimeoutError" ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : err.cause?.code ?? err.message;
    throw fail("ota", `cannot reach ThingsBoard at ${base} for the ${what} (${method} ${path.split("?")[0]}: ${why})`,
      "check the URL and that ThingsBoard is running and reachable from here");
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: kept as text, for the message.
  }
  return { status: res.status, body: parsed };
}

/** ThingsBoard's error message, or the start of whatever came instead. */
function message(a: Answer): string {
  const m = (a.body as { message?: unknown } | undefined)?.message;
  if (typeof m === "string") return m;
  const text = typeof a.body === "string" ? a.body : JSON.stringify(a.body ?? "");
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function expectOk(a: Answer, call: string, base: string, fix: string): void {
  if (a.status === 200) {
    if (typeof a.body !== "object" || a.body === null) badAnswer(call, base, "an answer that is not JSON");
    return;
  }
  if (a.status === 401) {
    throw fail("ota", `ThingsBoard at ${base} refused ${call} (401 ${message(a)})`, "log in again: check the user name and password");
  }
  if (a.status === 404 && !(a.body as { errorCode?: unknown } | undefined)?.errorCode) {
    throw fail("ota", `${base} has no ${call.split(" ")[1]} (HTTP 404): it does not answer like ThingsBoard`,
      "check the URL: it must be ThingsBoard's web address, e.g. http://localhost:8080");
  }
  throw fail("ota", `ThingsBoard at ${base} refused ${call} (${a.status} ${message(a)})`, fix);
}

function field(a: Answer, name: string, call: string, base: string): string {
  const v = (a.body as Record<string, unknown>)[name];
  if (typeof v !== "string" || !v) badAnswer(call, base, `no "${name}"`);
  return v;
}

function badAnswer(call: string, base: string, what: string): never {
  throw fail("ota", `${base} answered ${call} with ${what}, not as ThingsBoard does`,
    "check the URL: it must be ThingsBoard's web address, e.g. http://localhost:8080");
}

function isEntityId(v: unknown): v is { entityType: string; id: string } {
  return typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string";
}
