// Wall-clock time for readings. SNTP (Wifi.setSNTP) sets the clock some time after Wi-Fi is up;
// until then getTime() counts from boot. Uptimes (also those stored with readings) stay continuous
// across the jump (see uptimeMs in log.ts).

/** getTime() above this (2001) means the clock has been set. */
const SET_AFTER = 1e9;

export function clockKnown(): boolean {
  return getTime() > SET_AFTER;
}

// A reading's epoch ms is getTime() * 1000 - uptimeMs() + its uptime ms (telemetry.ts does it
// inline: a function with parameters costs the bundle more than the sum).
