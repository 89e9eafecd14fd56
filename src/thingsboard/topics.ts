// ThingsBoard device topics (shared/docs/thingsboard-device-api.md); one prefix keeps the bundle small.
export const ME = "v1/devices/me/";
export const TELEMETRY = ME + "telemetry";
export const ATTRIBUTES = ME + "attributes";
export const RPC_REQUEST = ME + "rpc/request/";
export const RPC_RESPONSE = ME + "rpc/response/";
/** The shared attribute (and RPC parameter) that sets the telemetry interval. */
export const INTERVAL_KEY = "telemetryIntervalMs";
