// Is anything listening on a loopback port? Read from the kernel's socket table so the answer is
// synchronous (Espruino's Linux build connects with a blocking connect() and throws on refusal)
// without opening a probe connection the server would see.
import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";

const LISTEN = "0A";

/** true/false from /proc/net/tcp{,6}; undefined where that table cannot be read (not Linux). */
export function isListening(ip: string, port: number): boolean | undefined {
  let v4: string, v6: string;
  try {
    v4 = readFileSync("/proc/net/tcp", "utf8");
  } catch {
    return undefined;
  }
  try {
    v6 = readFileSync("/proc/net/tcp6", "utf8");
  } catch {
    v6 = "";
  }
  const want4 = isIPv4(ip);
  for (const [table, family] of [[v4, 4], [v6, 6]] as const) {
    for (const line of table.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== LISTEN) continue;
      const [addrHex, portHex] = f[1].split(":");
      if (parseInt(portHex, 16) !== port) continue;
      const addr = family === 4 ? decodeV4(addrHex) : decodeV6(addrHex);
      if (matches(addr, family, ip, want4)) return true;
    }
  }
  return false;
}

function matches(addr: string, family: 4 | 6, ip: string, want4: boolean): boolean {
  if (family === 4) return want4 && (addr === "0.0.0.0" || addr === ip);
  // A dual-stack "::" socket also takes IPv4 connections.
  if (addr === "0:0:0:0:0:0:0:0") return true;
  if (want4) return addr === `0:0:0:0:0:ffff:${v4ToHexPair(ip)}`;
  return ip === "::1" && addr === "0:0:0:0:0:0:0:1";
}

/** The kernel prints each 32-bit word in host (little-endian) byte order. */
function wordBytes(hex8: string): number[] {
  const n = parseInt(hex8, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
}

function decodeV4(hex: string): string {
  return wordBytes(hex).join(".");
}

function decodeV6(hex: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}

function v4ToHexPair(ip: string): string {
  const b = ip.split(".").map(Number);
  return `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
}
