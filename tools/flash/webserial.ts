// A `serialport` port dressed as a Web Serial `SerialPort`, the device esptool-js's Transport drives:
// open({baudRate}), readable/writable WHATWG streams, setSignals(), getInfo(), close(), plus the optional
// setBaudRate() esptool-js prefers over closing and reopening when it raises the baud rate.
import { readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ReadableStream, WritableStream } from "node:stream/web";
import type { SerialPort as NodeSerialPort } from "serialport";

export interface SerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

export interface SerialPortInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

export interface WebSerialOptions {
  /** Told once when the port has no modem lines (a pseudo-terminal, some bridges): auto-reset cannot work. */
  onNoModemLines?: (message: string) => void;
  /** Where sysfs is (tests point it at a folder of their own). */
  sysRoot?: string;
}

/** USB vendor and product id of a tty, read from sysfs like udev does (/sys/class/tty/NAME/device/..). */
export function usbIdsOf(devPath: string, sysRoot = "/sys"): SerialPortInfo {
  let name: string;
  try {
    name = basename(realpathSync(devPath));
  } catch {
    name = basename(devPath);
  }
  let dir: string;
  try {
    dir = realpathSync(join(sysRoot, "class", "tty", name, "device"));
  } catch {
    return {};
  }
  // ttyACM's device is the USB interface, ttyUSB's sits one level below it: walk up to the USB device.
  for (let i = 0; i < 4 && dir.length > 1; i++, dir = dirname(dir)) {
    try {
      const vid = parseInt(readFileSync(join(dir, "idVendor"), "utf8").trim(), 16);
      const pid = parseInt(readFileSync(join(dir, "idProduct"), "utf8").trim(), 16);
      if (Number.isInteger(vid) && Number.isInteger(pid)) return { usbVendorId: vid, usbProductId: pid };
    } catch {
      // not the USB device yet
    }
  }
  return {};
}

export class NodeWebSerialPort {
  private port: NodeSerialPort | undefined;
  private reader: ReadableStream<Uint8Array> | undefined;
  private writer: WritableStream<Uint8Array> | undefined;
  private readerDone = false;
  private writerDone = false;
  /** serialport's set() writes all lines at once, filling absent ones with its defaults: keep the real state. */
  private signals = { dtr: true, rts: true, brk: false };
  private modemLines = true;

  constructor(readonly path: string, private readonly options: WebSerialOptions = {}) {}

  get isOpen(): boolean {
    return !!this.port?.isOpen;
  }

  async open(opts: { baudRate?: number } = {}): Promise<void> {
    if (this.port?.isOpen) throw new Error(`${this.path} is already open`);
    const { SerialPort } = await import("serialport");
    this.port = await new Promise<NodeSerialPort>((res, rej) => {
      const p: NodeSerialPort = new SerialPort({ path: this.path, baudRate: opts.baudRate ?? 115200, lock: true },
        (err) => (err ? rej(err) : res(p)));
    });
    // Opening a tty on Linux raises DTR and RTS.
    this.signals = { dtr: true, rts: true, brk: false };
    this.readerDone = false;
    this.writerDone = false;
    this.reader = undefined;
    this.writer = undefined;
  }

  /** Like Web Serial: null when closed; a fresh stream once the previous one was cancelled or ended. */
  get readable(): ReadableStream<Uint8Array> | null {
    const port = this.port;
    if (!port?.isOpen) return null;
    if (this.reader && !this.readerDone) return this.reader;
    let onData: ((d: Buffer) => void) | undefined;
    let onClose: (() => void) | undefined;
    const stop = () => {
      this.readerDone = true;
      if (onData) port.off("data", onData);
      if (onClose) port.off("close", onClose);
    };
    this.readerDone = false;
    this.reader = new ReadableStream<Uint8Array>({
      start(controller) {
        onData = (d) => controller.enqueue(new Uint8Array(d)); // a copy: serialport reads into a shared pool
        onClose = () => { stop(); controller.close(); };
        port.on("data", onData);
        port.once("close", onClose);
      },
      cancel() { stop(); },
    });
    return this.reader;
  }

  get writable(): WritableStream<Uint8Array> | null {
    const port = this.port;
    if (!port?.isOpen) return null;
    if (this.writer && !this.writerDone) return this.writer;
    this.writerDone = false;
    this.writer = new WritableStream<Uint8Array>({
      write: (chunk) => new Promise<void>((res, rej) => {
        port.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), (err) => {
          if (err) return rej(err);
          port.drain((e) => (e ? rej(e) : res()));
        });
      }),
      close: () => { this.writerDone = true; },
      abort: () => { this.writerDone = true; },
    });
    return this.writer;
  }

  async setSignals(s: SerialSignals): Promise<void> {
    const port = this.requireOpen();
    if (s.dataTerminalReady !== undefined) this.signals.dtr = s.dataTerminalReady;
    if (s.requestToSend !== undefined) this.signals.rts = s.requestToSend;
    if (s.break !== undefined) this.signals.brk = s.break;
    if (!this.modemLines) return;
    await new Promise<void>((res, rej) => port.set({ ...this.signals }, (err) => {
      if (!err) return res();
      // ENOTTY: a pseudo-terminal or a bridge without DTR/RTS. The ROM can still be entered by hand.
      if (/Inappropriate ioctl/i.test(err.message)) {
        this.modemLines = false;
        this.options.onNoModemLines?.(`${this.path} has no DTR/RTS lines, so the board cannot be reset into its bootloader from here: hold BOOT while pressing RESET`);
        return res();
      }
      rej(err);
    }));
  }

  /** Changes the baud rate in place (esptool-js uses this instead of closing and reopening the port). */
  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.requireOpen();
    await new Promise<void>((res, rej) => port.update({ baudRate }, (err) => (err ? rej(err) : res())));
  }

  getInfo(): SerialPortInfo {
    return usbIdsOf(this.path, this.options.sysRoot);
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (this.reader && !this.readerDone) await this.reader.cancel().catch(() => undefined);
    this.readerDone = this.writerDone = true;
    if (!port?.isOpen) return;
    await new Promise<void>((res) => port.close(() => res()));
  }

  private requireOpen(): NodeSerialPort {
    if (!this.port?.isOpen) throw new Error(`${this.path} is not open`);
    return this.port;
  }
}
