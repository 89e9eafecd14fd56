// ThingsBoard device topics (the device API doc); one prefix keeps the bundle small. And the C
// example's log tags, which the serial log keeps so that it reads like the example's.
export const ME = "v1/devices/me/";
export const TELEMETRY = ME + "telemetry";
export const ATTRIBUTES = ME + "attributes";
export const RPC_REQUEST = ME + "rpc/request/";
export const RPC_RESPONSE = ME + "rpc/response/";
/** The shared attribute (and RPC parameter) that sets the telemetry interval. */
export const INTERVAL_KEY = "telemetryIntervalMs";

/** The MQTT session's tag, and the telemetry's (sic: the C example's spelling), built on it so the
 *  bundle spells "tb_mqtt" once. */
export const LINK_TAG = "tb_mqtt";
export const TELEMETRY_TAG = LINK_TAG + "_wapper";
