// Payload rules of ThingsBoard's JSON converter for telemetry, attributes and attribute requests
// (docs/thingsboard.md §3). Every failure throws PayloadError, which the
// session turns into a TCP close without PUBACK, as ThingsBoard does.

export class PayloadError extends Error {}

export interface TelemetryEntry {
  ts: number;
  values: Record<string, unknown>;
}

export interface AttributeRequest {
  /** undefined = section not requested; empty array = every key of that section. */
  clientKeys?: string[];
  sharedKeys?: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function parseJson(payload: Buffer, what: string): Json {
  const text = payload.toString("utf8");
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new PayloadError(`${what}: payload is not valid JSON: ${preview(text)}`);
  }
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}

// commons-lang3 NumberUtils.isParsable, which ThingsBoard uses for its string-to-number cast:
// optional minus, digits with at most one inner dot; no exponent, hex, blanks or trailing dot.
const NUMERIC = /^-?(\d+(\.\d+)?|\.\d+)$/;

/** Values as stored: nulls dropped, numeric strings cast to numbers, everything else kept. */
function convertValues(obj: { [k: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === null) continue;
    out[key] = typeof value === "string" && NUMERIC.test(value) ? Number(value) : value;
  }
  return out;
}

function objectsOf(json: Json, what: string): Array<{ [k: string]: Json }> {
  if (isObject(json)) return [json];
  if (Array.isArray(json) && json.every(isObject)) return json as Array<{ [k: string]: Json }>;
  throw new PayloadError(`${what}: expected a JSON object or an array of objects, got ${describe(json)}`);
}

function describe(json: Json): string {
  if (Array.isArray(json)) return "an array with a non-object element";
  return json === null ? "null" : `a ${typeof json}`;
}

/** Telemetry entries in payload order; entries without their own ts get `now`. */
export function parseTelemetry(payload: Buffer, now: number): TelemetryEntry[] {
  return objectsOf(parseJson(payload, "telemetry"), "telemetry").map((obj) => {
    if (!("ts" in obj && "values" in obj)) return { ts: now, values: convertValues(obj) };
    const { ts, values } = obj;
    if (typeof ts !== "number" || !Number.isInteger(ts)) {
      throw new PayloadError(`telemetry: "ts" must be an integer in ms, got ${JSON.stringify(ts)}`);
    }
    if (!isObject(values)) throw new PayloadError(`telemetry: "values" must be a JSON object`);
    return { ts, values: convertValues(values) };
  });
}

/** Client attributes; an array of objects is merged in order. */
export function parseAttributes(payload: Buffer): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const obj of objectsOf(parseJson(payload, "attributes"), "attributes")) {
    Object.assign(merged, convertValues(obj));
  }
  return merged;
}

function keyList(v: Json | undefined, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new PayloadError(`attribute request: "${field}" must be a comma-separated string`);
  return v.split(",").map((k) => k.trim()).filter((k) => k.length > 0);
}

/** `{}` asks for everything; otherwise only the sections named. */
export function parseAttributeRequest(payload: Buffer): AttributeRequest {
  if (payload.length === 0) throw new PayloadError("attribute request: empty payload");
  const json = parseJson(payload, "attribute request");
  if (!isObject(json)) throw new PayloadError(`attribute request: expected a JSON object, got ${describe(json)}`);
  const clientKeys = keyList(json.clientKeys, "clientKeys");
  const sharedKeys = keyList(json.sharedKeys, "sharedKeys");
  if (clientKeys === undefined && sharedKeys === undefined) return { clientKeys: [], sharedKeys: [] };
  return { clientKeys, sharedKeys };
}

export interface ClientRpcRequest {
  method: string;
  params: unknown;
}

export function parseClientRpc(payload: Buffer): ClientRpcRequest {
  const json = parseJson(payload, "client-side RPC");
  if (!isObject(json) || typeof json.method !== "string") {
    throw new PayloadError(`client-side RPC: expected {"method": "...", "params": ...}`);
  }
  return { method: json.method, params: json.params ?? {} };
}
