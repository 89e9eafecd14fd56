// Packet generators the client sends: each returns the packet's wire bytes as a binary string.
// String arguments must already be bytes (see utf8); packet ids are 1..65535.
// Packets only a broker sends are built in encode-packet.ts (host side) from frame/u16/str.
import { CONNECT, PUBLISH, SUBSCRIBE } from "./packet.js";

import { chr } from "./chr.js";

export function u16(n: number): string {
  return chr(n >> 8, n & 255);
}

/** A length-prefixed string. */
export function str(s: string): string {
  return u16(s.length) + s;
}

/** Fixed header (type, flags, remaining length as 1-4 bytes of 7 bits) followed by the body. */
export function frame(type: number, flags: number, body: string): string {
  let n = body.length;
  let o = chr((type << 4) | flags);
  do {
    const d = n & 127;
    n >>= 7;
    o += chr(n ? d | 128 : d);
  } while (n);
  return o + body;
}

/** CONNECT for MQTT 3.1.1 without a will; username/password left out when undefined. */
export function connectPacket(clientId: string, username: string | undefined, password: string | undefined,
  clean: boolean, keepalive: number): string {
  // The flag bits themselves: 0 when left out.
  const u = username != null ? 128 : 0;
  const w = password != null ? 64 : 0;
  return frame(CONNECT, 0, str("MQTT") + chr(4, u | w | (clean ? 2 : 0)) + u16(keepalive) +
    str(clientId) + (u ? str(username!) : "") + (w ? str(password!) : ""));
}

export function publishPacket(topic: string, payload: string, qos: number, id: number, retain: boolean, dup: boolean): string {
  return frame(PUBLISH, (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), str(topic) + (qos ? u16(id) : "") + payload);
}

/** SUBSCRIBE of one filter at `qos`, or UNSUBSCRIBE of it (type UNSUBSCRIBE, qos ignored). */
export function subPacket(type: number, id: number, filter: string, qos: number): string {
  return frame(type, 2, u16(id) + str(filter) + (type == SUBSCRIBE ? chr(qos) : ""));
}

/** A packet of a packet id alone (PUBACK, UNSUBACK), or empty (id < 0 or left out: PINGREQ,
 *  PINGRESP, DISCONNECT). */
export function idPacket(type: number, id?: number): string {
  return frame(type, 0, id! >= 0 ? u16(id!) : "");
}
