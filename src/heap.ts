// Native heap for TLS. ESP32 builds of Espruino give Wi-Fi and TLS only the few tens of KB left
// outside the JsVars (docs/espruino.md §2.1), and a connection that does not fit fails in mbedTLS
// (§2.3): thrown by tls.connect (mbedtls_ssl_setup), or, for the handshake, as an uncaught exception
// after the socket has closed. What one connection needs and the fix come from the board definition
// (board/<chip>.json device.tls), passed in by main.ts.

export const freeHeap = () => ESP32.getState().freeHeap;

/** The figures and the fix, for a log line: `need` bytes for one TLS connection, `fix` the remedy. */
export const heapShort = (need: number, fix: string) => "native heap " + freeHeap() + " B free, TLS needs ~" + need + ": " + fix;

/** Whether an mbedTLS error means an allocation failed: "Not enough memory", or in hex a
 *  low-level -0x10 (bignum) alone or added to a module's code, or -0x3400 (DHM). */
export const outOfHeap = (e: unknown) => /memory|0x(3400|\w*[19]0)$/.test(e as string);
