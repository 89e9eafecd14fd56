// The demo network's time server. A real board asks SNTP (Wifi.setSNTP, called once Wi-Fi is up) and
// its clock jumps to the wall time a moment later; the firmware then stamps readings with `ts` and
// flushes its queue in batches. The virtual board's network has no time server (it only records the
// setSNTP call), so without this the demo would wait out the firmware's 20 s SNTP grace and send
// unstamped readings. This sets the board's clock to the host's time shortly after each time the
// firmware reports the network up, as an SNTP answer would.
import type { VirtualBoard } from "../vboard/index.ts";

/** The firmware's line after joining Wi-Fi, just before it calls Wifi.setSNTP (src/main.ts). */
const NETWORK_UP = /\bapp: Network up\b/;

export function serveTime(board: VirtualBoard, o: { delayMs?: number; onSet?: () => void } = {}): () => void {
  const timers = new Set<NodeJS.Timeout>();
  const onLine = (line: string) => {
    if (!NETWORK_UP.test(line)) return;
    const t = setTimeout(() => {
      timers.delete(t);
      board.clock.setTime(Date.now() / 1000);
      o.onSet?.();
    }, o.delayMs ?? 300);
    timers.add(t);
  };
  board.on("line", onLine);
  return () => {
    board.off("line", onLine);
    for (const t of timers) clearTimeout(t);
  };
}
