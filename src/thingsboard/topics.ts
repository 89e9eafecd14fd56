// ThingsBoard device topics (docs/thingsboard.md §2), and the C example's log tags, which the serial
// log keeps so that it reads like the example's (docs/thingsboard.md §7). Each written out in full: the minifier then puts one
// used once where it is used (the code runs from flash), rather than in a variable kept in RAM.
export const TELEMETRY = "v1/devices/me/telemetry";
export const ATTRIBUTES = "v1/devices/me/attributes";
export const RPC_REQUEST = "v1/devices/me/rpc/request/";
export const RPC_RESPONSE = "v1/devices/me/rpc/response/";
/** The shared attribute (and RPC parameter) that sets the telemetry interval. */
export const INTERVAL_KEY = "telemetryIntervalMs";

/** The MQTT session's tag, and the telemetry's (sic: the C example's spelling), built on it so the
 *  bundle spells "tb_mqtt" once. */
export const LINK_TAG = "tb_mqtt";
export const TELEMETRY_TAG = LINK_TAG + "_wapper";
