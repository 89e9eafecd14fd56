// A byte link to the board's console: a serial port (serialport) or tcp://host:port (the virtual
// board's REPL, or a board's TelnetServer). Data is 8-bit text (latin1), as Espruino sends it.
import { connect, type Socket } from "node:net";
import { isTcpPort, openError } from "./ports.ts";

export interface ConsoleLink {
  write(text: string): void;
  onData(fn: (text: string) => void): void;
  /** Resolves when the other end closes the link. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
  /** Resets the board: the ESP32 way on a serial port, E.reboot() over tcp://. */
  reset(): Promise<void>;
  /** How reset() does it, for notices and help. */
  readonly resetHow: string;
}

/** Over tcp:// there are no reset lines: stop what runs (Ctrl-C), then Espruino's own reboot,
 *  which restarts the chip and runs .bootcde again as power-on does (reset() would not run it). */
export const TCP_RESET = "\x03E.reboot()\n";
/** esptool's hard reset: RTS pulls EN low while DTR stays high-level (IO0 free, so the chip boots its
 *  app); 200 ms each way is what esptool gives chips on native USB, and enough for a USB-UART bridge. */
const EN_LOW_MS = 200;

export function parseTcpPort(port: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(port);
  if (!m) throw new Error(`"${port}" is not tcp://host:port`);
  const host = m[1].replace(/^\[|\]$/g, "") || "localhost";
  return { host, port: m[2] ? Number(m[2]) : 23 };
}

export async function openLink(tool: string, port: string, baud: number): Promise<ConsoleLink> {
  return isTcpPort(port) ? openTcp(tool, port) : openSerial(tool, port, baud);
}

async function openTcp(tool: string, port: string): Promise<ConsoleLink> {
  const addr = parseTcpPort(port);
  const sock: Socket = await new Promise((res, rej) => {
    const s = connect(addr.port, addr.host);
    s.once("connect", () => { s.off("error", rej); res(s); });
    s.once("error", (e) => rej(openError(tool, port, e)));
  });
  sock.setNoDelay(true);
  const listeners: Array<(t: string) => void> = [];
  sock.on("data", (d) => { for (const l of listeners) l(d.toString("latin1")); });
  const closed = new Promise<void>((r) => sock.once("close", () => r()));
  sock.on("error", () => { /* "close" follows */ });
  return {
    write: (t) => { if (sock.writable) sock.write(t, "latin1"); },
    onData: (fn) => { listeners.push(fn); },
    closed,
    close: async () => { sock.destroy(); await closed; },
    reset: async () => { if (sock.writable) sock.write(TCP_RESET, "latin1"); },
    resetHow: "Ctrl-C, then E.reboot()",
  };
}

async function openSerial(tool: string, port: string, baud: number): Promise<ConsoleLink> {
  const { SerialPort } = await import("serialport");
  const sp = await new Promise<InstanceType<typeof SerialPort>>((res, rej) => {
    const p = new SerialPort({ path: port, baudRate: baud, lock: true }, (err) => (err ? rej(openError(tool, port, err)) : res(p)));
  });
  const listeners: Array<(t: string) => void> = [];
  sp.on("data", (d: Buffer) => { for (const l of listeners) l(d.toString("latin1")); });
  sp.on("error", () => { /* "close" follows */ });
  const closed = new Promise<void>((r) => sp.once("close", () => r()));
  return {
    write: (t) => { sp.write(Buffer.from(t, "latin1")); },
    onData: (fn) => { listeners.push(fn); },
    closed,
    close: async () => {
      if (!sp.isOpen) return;
      await new Promise<void>((r) => sp.close(() => r()));
    },
    reset: async () => {
      const set = (o: { dtr: boolean; rts: boolean }) => new Promise<void>((res, rej) => sp.set(o, (e) => (e ? rej(e) : res())));
      const wait = () => new Promise((r) => setTimeout(r, EN_LOW_MS));
      await set({ dtr: false, rts: true });
      await wait();
      await set({ dtr: false, rts: false });
      await wait();
    },
    resetHow: "EN pulled low by RTS, as esptool does",
  };
}
