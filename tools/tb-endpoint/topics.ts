// Topic names and the subscription filters ThingsBoard's MQTT transport accepts for a device session
// (see docs/thingsboard.md §2).

export const TELEMETRY = "v1/devices/me/telemetry";
export const ATTRIBUTES = "v1/devices/me/attributes";
export const ATTRIBUTE_REQUEST_PREFIX = "v1/devices/me/attributes/request/";
export const ATTRIBUTE_RESPONSE_PREFIX = "v1/devices/me/attributes/response/";
export const RPC_REQUEST_PREFIX = "v1/devices/me/rpc/request/";
export const RPC_RESPONSE_PREFIX = "v1/devices/me/rpc/response/";
export const PROVISION_REQUEST = "/provision/request";
export const PROVISION_RESPONSE = "/provision/response";
export const PROVISION_USERNAME = "provision";

export const RPC_REQUEST_FILTER = "v1/devices/me/rpc/request/+";

/** Filters granted to a token session; everything else gets SUBACK 0x80. */
const DEVICE_FILTERS = new Set([
  ATTRIBUTES,
  "v1/devices/me/attributes/response/+",
  RPC_REQUEST_FILTER,
  "v1/devices/me/rpc/response/+",
  "v2/fw/response/+/chunk/+",
  "v2/sw/response/+/chunk/+",
  // Where ThingsBoard sends a chunk request's error (docs/thingsboard.md §6).
  "v2/fw/error",
  "v2/sw/error",
]);

/** A provisioning session may only wait for its answer. */
const PROVISION_FILTERS = new Set([PROVISION_RESPONSE, "/provision/response/+"]);

export function isSupportedFilter(filter: string, provisioning: boolean): boolean {
  return (provisioning ? PROVISION_FILTERS : DEVICE_FILTERS).has(filter);
}

/** MQTT filter matching for the few single-level wildcards used here. */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (f.length !== t.length) return false;
  return f.every((part, i) => part === "+" || part === t[i]);
}

/**
 * The request id at the end of `topic` after `prefix`: a decimal integer, as ThingsBoard parses it with
 * Integer.parseInt. Undefined when it is not one (ThingsBoard then closes the connection).
 */
export function requestId(topic: string, prefix: string): number | undefined {
  const text = topic.slice(prefix.length);
  if (!/^-?\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}
