// ThingsBoard device topics (docs/thingsboard.md §2). Each written out in full: the minifier then puts one
// used once where it is used (the code runs from flash), rather than in a variable kept in RAM.
export const TELEMETRY = "v1/devices/me/telemetry";
export const ATTRIBUTES = "v1/devices/me/attributes";
export const RPC_REQUEST = "v1/devices/me/rpc/request/";
export const RPC_RESPONSE = "v1/devices/me/rpc/response/";
/** The shared attribute (and RPC parameter) that sets the telemetry interval. */
export const INTERVAL_KEY = "telemetryIntervalMs";
