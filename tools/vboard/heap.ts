// The board's native heap, as docs/espruino.md §2.1 describes it: at boot the interpreter turns all but
// ESP_HEAP_SIZE bytes into JsVars, and joining Wi-Fi and every TLS connection then live in what is
// left. The figures are the board definition's (board/<chip>.json device.variants and device.tls),
// so a board short of heap fails TLS here as it would there: mbedtls_ssl_setup throws from
// tls.connect when the record buffers do not fit, the handshake fails (socket closed, then an
// uncaught exception) when its peak does not.
import { memoryVariant, type BoardJson, type MemoryVariant } from "../common/index.ts";

/** What a TLS connection that fits holds until it closes; call it once. */
export type TlsRelease = () => void;

/** How a TLS connection fares: a release when it fits, else where mbedTLS ran out. */
export type TlsOutcome = TlsRelease | "setup" | "handshake";

/** MBEDTLS_ERR_RSA_PUBLIC_FAILED + MBEDTLS_ERR_MPI_ALLOC_FAILED: the handshake's RSA-2048 step is
 *  its largest allocation, so this is the code a short board most likely prints. */
export const HANDSHAKE_ALLOC_CODE = "-0x4290";

export class NativeHeap {
  readonly variant: MemoryVariant;
  private free = 0;
  private min = 0;
  private wifiUp = false;

  constructor(private json: BoardJson, variantId?: string) {
    this.variant = memoryVariant(json, variantId);
    this.reset();
  }

  /** Power-on: the interpreter has just taken its JsVars. */
  reset(): void {
    this.free = this.min = this.variant.heapReserveBytes;
    this.wifiUp = false;
  }

  /** Joining takes the station's buffers from the reserve; they stay while the radio is on. */
  wifi(up: boolean): void {
    if (!up || this.wifiUp) return;
    this.wifiUp = true;
    this.take(this.variant.heapReserveBytes - this.variant.heapAfterWifiBytes);
  }

  /** Something else takes `n` bytes (another socket, BLE, a user's buffers) until the returned
   *  function gives them back: how a test makes a board that fits run short for a while. */
  hold(n: number): () => void {
    this.take(n);
    let held = true;
    return () => {
      if (held) this.free += n;
      held = false;
    };
  }

  /** ESP32.getState()'s heap figures. */
  state(): { freeHeap: number; minHeap: number } {
    return { freeHeap: this.free, minHeap: this.min };
  }

  openTls(): TlsOutcome {
    const { needBytes, setupBytes } = this.json.device.tls;
    if (this.free < setupBytes) return "setup";
    if (this.free < needBytes) {
      // The record buffers were taken before the handshake ran out: the low-water mark shows it.
      this.min = Math.min(this.min, this.free - setupBytes);
      return "handshake";
    }
    this.take(needBytes);
    let held = true;
    return () => {
      if (held) this.free += needBytes;
      held = false;
    };
  }

  private take(n: number): void {
    this.free -= n;
    this.min = Math.min(this.min, this.free);
  }
}
