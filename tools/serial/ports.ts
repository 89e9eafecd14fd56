// Serial port checks before anything opens the port, so each common mistake gets its own message:
// no port given, a tcp:// address miswritten, path missing, not a serial port at all, no permission
// (dialout), held open by another program, wrong kind of port for the chip's console (native USB
// /dev/ttyACM* vs a USB-UART bridge /dev/ttyUSB*).
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { fail, ToolError, type BoardJson } from "../common/index.ts";

export function isTcpPort(port: string): boolean {
  return port.startsWith("tcp://");
}

// What the console link takes (serial/link.ts parseTcpPort): tcp://host[:port], IPv6 in brackets.
const TCP_ADDRESS = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/;

function isTcpAddress(port: string): boolean {
  const m = TCP_ADDRESS.exec(port);
  const number = m?.[2] === undefined ? 23 : Number(m[2]); // 23, telnet's, when none is given
  return !!m && number >= 1 && number <= 65535;
}

/**
 * Throws (exit code 2, a usage error) when `port` is meant as a TCP address but is not written as
 * tcp://host:port: `tcp:/127.0.0.1:2323` would otherwise be taken for a serial device's path and
 * get "does not exist: check the USB cable".
 */
export function checkTcpAddress(tool: string, port: string): void {
  if (!/^tcp(:|\/\/)/i.test(port) || isTcpAddress(port)) return;
  const fixed = "tcp://" + port.replace(/^tcp:?\/*/i, "");
  const fix = /:\d+$/.test(fixed) && isTcpAddress(fixed)
    ? `write it as ${fixed} (tcp://host:port)` : "write it as tcp://host:port, e.g. tcp://127.0.0.1:2323";
  throw new ToolError(`E ${tool}: --port ${port} is not a tcp:// address: ${fix}`, 2);
}

/** Serial ports plugged in: serialport's listing (USB details) plus the usual device names. */
export async function listSerialPorts(): Promise<string[]> {
  const found = new Set<string>();
  try {
    const { SerialPort } = await import("serialport");
    for (const p of await SerialPort.list()) if (!/^\/dev\/ttyS\d+$/.test(p.path)) found.add(p.path);
  } catch {
    /* no native binding here: the /dev scan below still answers */
  }
  try {
    for (const n of readdirSync("/dev")) if (/^tty(USB|ACM)\d+$/.test(n)) found.add("/dev/" + n);
  } catch {
    /* not Linux */
  }
  return [...found].sort();
}

export function noPortError(tool: string, ports: string[], board: BoardJson): Error {
  const typical = board.device.typicalPort;
  if (ports.length === 0) {
    return fail(tool, "no --port given and no serial port found (/dev/ttyUSB*, /dev/ttyACM*)",
      `plug the ${board.info.name} in with a data USB cable, then npm run ${tool} -- --port ${typical}`);
  }
  return fail(tool, `no --port given; plugged in: ${ports.join(", ")}`, `pick one, e.g. npm run ${tool} -- --port ${ports[0]}`);
}

/** Programs (pid and name) other than this one that hold `path` open, read from /proc. */
export function holdersOf(path: string): Array<{ pid: number; name: string }> {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return [];
  }
  const out: Array<{ pid: number; name: string }> = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's process we may not read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (link === target) {
        let name = "?";
        try {
          name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        } catch { /* exited meanwhile */ }
        out.push({ pid: Number(pid), name });
        break;
      }
    }
  }
  return out;
}

/** Linux's major number of a device (glibc's gnu_dev_major). */
function majorOf(rdev: number): number {
  return ((rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

/** The character-device drivers registered for `major` (/proc/devices), or undefined where there is none (not Linux). */
function charDrivers(major: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/devices", "utf8");
  } catch {
    return undefined;
  }
  const chars = text.split(/\n\s*\n/)[0] ?? "";
  return chars.split("\n").map((l) => /^\s*(\d+)\s+(\S+)$/.exec(l)).filter((m) => m && Number(m[1]) === major).map((m) => m![2]!);
}

// Serial ports are tty devices: ttyUSB, ttyACM, ttyS, ttyAMA…, a pseudo-terminal's slave (pts), an
// rfcomm link. /dev/tty, /dev/console and /dev/ptmx share major 5 under names starting with /dev/.
const TTY_DRIVER = /^(tty(?!printk)\w*|pts|rfcomm)$/;

/** Why `path` is not a serial port ("a regular file" …), or undefined when it is a tty device. */
export function notSerialReason(path: string): string | undefined {
  const st = statSync(path);
  if (st.isDirectory()) return "it is a folder";
  if (st.isFile()) return "it is a regular file";
  if (!st.isCharacterDevice()) return "it is not a character device";
  const drivers = charDrivers(majorOf(st.rdev));
  if (drivers === undefined) return undefined; // no /proc/devices: any character device may be a port
  return drivers.some((d) => TTY_DRIVER.test(d)) ? undefined : "it is a character device, but not a tty";
}

/** Throws the one-line error for a serial path that cannot be used; returns warnings otherwise. */
export function checkSerialPort(tool: string, path: string, board: BoardJson, known: string[] = []): string[] {
  checkTcpAddress(tool, path);
  const others = known.filter((p) => p !== path);
  if (!existsSync(path)) {
    return failWith(tool, `${path} does not exist`, others.length
      ? `plugged in now: ${others.join(", ")}; pass one with --port`
      : `check the USB cable (a data cable, not charge-only) and that the board is plugged in; typical for ${board.info.name}: ${board.device.typicalPort}`);
  }
  // Before the holders: every program has /dev/null open, and none of them is using a board.
  const notSerial = notSerialReason(path);
  if (notSerial) {
    return failWith(tool, `${path} is not a serial port (${notSerial})`, others.length
      ? `pass the board's port; plugged in now: ${others.join(", ")}`
      : `pass the board's port, e.g. --port ${board.device.typicalPort}`);
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EACCES" || (e as NodeJS.ErrnoException).code === "EPERM") {
      return failWith(tool, `permission denied on ${path}`,
        "add yourself to the dialout group: sudo usermod -aG dialout $USER, then log out and back in");
    }
    throw e;
  }
  const holders = holdersOf(path);
  if (holders.length) {
    const who = holders.map((h) => `${h.name} (pid ${h.pid})`).join(", ");
    return failWith(tool, `${path} is busy: ${who} has it open`, "close that program first (a monitor still running? leave it with Ctrl-])");
  }
  return portKindWarnings(tool, path, board);
}

/** C3/S3 talk through the chip's own USB (ttyACM); the classic ESP32 through a USB-UART bridge (ttyUSB). */
export function portKindWarnings(tool: string, path: string, board: BoardJson): string[] {
  const native = board.device.console === "usb-serial-jtag";
  if (native && /ttyUSB\d+$/.test(path)) {
    return [`W ${tool}: ${path} is a USB-UART bridge, but Espruino on ${board.info.name} uses the chip's native USB console ` +
      `(/dev/ttyACM*): plug the cable into the port marked USB (not UART), or check --board`];
  }
  if (!native && /ttyACM\d+$/.test(path)) {
    return [`W ${tool}: ${path} is a native-USB (CDC) port, but Espruino on ${board.info.name} uses UART0 through the ` +
      `USB-UART bridge (usually /dev/ttyUSB*): if flashing fails, check --board (esp32c3/esp32s3 use ttyACM)`];
  }
  return [];
}

/** Maps an error from opening a port (serialport or TCP) to its one-line message. */
export function openError(tool: string, port: string, e: unknown): Error {
  const msg = String((e as Error)?.message ?? e);
  const code = (e as NodeJS.ErrnoException)?.code;
  if (isTcpPort(port)) {
    if (code === "ECONNREFUSED") return fail(tool, `nothing listens on ${port}`, "start the board's TCP console first (npm run sim -- --repl-port N) or check host and port");
    return fail(tool, `cannot connect to ${port} (${code ?? msg})`, "check host and port");
  }
  if (/Cannot lock port|Resource temporarily unavailable/i.test(msg)) {
    return fail(tool, `${port} is busy: another program has it open`, "close it first (a monitor still running? leave it with Ctrl-])");
  }
  if (/Permission denied|EACCES/i.test(msg)) {
    return fail(tool, `permission denied on ${port}`, "add yourself to the dialout group: sudo usermod -aG dialout $USER, then log out and back in");
  }
  if (/No such file|ENOENT/i.test(msg)) return fail(tool, `${port} does not exist`, "check the cable and the port name");
  return fail(tool, `cannot open ${port}: ${msg.split("\n")[0]}`, "check the port name and that no other program uses it");
}

function failWith(tool: string, what: string, fix: string): never {
  throw fail(tool, what, fix);
}
