// Limits and protocol constants that the firmware and the host tools (config check, virtual board,
// local endpoint, live page) must agree on: their one home. Host code imports this file too; the
// minifier folds each constant into the bundle, so naming them costs the board nothing.

/** The telemetry interval, in ms: config key telemetryIntervalMs, the shared attribute and the RPC. */
export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 86400000;

/** The longest RPC request or attribute message the firmware takes, in bytes. */
export const MAX_INBOUND_BYTES = 1024;

/** mbedTLS MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY: the error event Espruino's tls socket raises when the
 *  server closed the connection normally (-30848, docs/espruino.md §3.3). */
export const TLS_CLOSE_NOTIFY = -0x7880;

/** Storage files that the firmware and `npm run flash` share (docs/ota.md §1): the token a provisioned
 *  board keeps, and the update key flash writes. */
export const TOKEN_FILE = ".tbtoken";
export const KEY_FILE = ".tbkey";
