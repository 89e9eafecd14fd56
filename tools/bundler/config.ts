// Device configuration: the menuconfig of the ESP-IDF example as a flat JSON file
// (device.config.json), overridable per key by TB_<KEY> environment variables, checked before
// anything is bundled. Every problem becomes one line naming the key, where it came from, what is
// wrong and how to fix it; all problems are reported at once. Secrets are never echoed.
//
// The tools import it from here; it lives in three parts:
//   config-rules.ts     what a valid config is: each key's schema, default and check, the rules between keys
//   config-loading.ts   the file (strict JSON, duplicate keys), the TB_* environment, defaults
//   config-messages.ts  the one-line errors and warnings
export {
  checkHost, CONFIG_KEYS, DEFAULT_CONFIG_FILE, describeConfig, deviceConfigSchema, envVarFor, EXAMPLE_CONFIG_FILE,
  LOG_LEVELS, PLAIN_PORT, TLS_PORT,
} from "./config-rules.ts";
export type { Board, DeviceConfig, LogLevel } from "./config-rules.ts";
export { loadDeviceConfig, validateDeviceConfig } from "./config-loading.ts";
export type { ConfigOrigin, LoadOptions } from "./config-loading.ts";
export { ConfigError } from "./config-messages.ts";
