// Packet generators the client sends: each returns the packet's wire bytes as a binary string.
// String arguments must already be bytes (see utf8); packet ids are 1..65535.
// Packets only a broker sends are built on the host (tools/mqtt/encode-packet.ts) from frame/u16/str.
import { CONNECT, PUBLISH, SUBSCRIBE } from "./packet.js";
import { DUP_FLAG, MORE_BYTES, QOS_SHIFT, RETAIN_FLAG } from "./decode.js";
import { chr } from "./chr.js";

/** CONNECT flags (MQTT 3.1.1 §3.1.2.3). */
const USERNAME_FLAG = 128;
const PASSWORD_FLAG = 64;
const CLEAN_SESSION_FLAG = 2;
/** Protocol level 4: MQTT 3.1.1. */
const MQTT_3_1_1 = 4;
/** SUBSCRIBE's fixed-header flags must be 0010 (§3.8.1). */
const SUBSCRIBE_FLAGS = 2;

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
  // Low 7 bits first; MORE_BYTES on each byte but the last.
  do o += chr(n > 127 ? (n & 127) | MORE_BYTES : n);
  while ((n >>= 7));
  return o + body;
}

/** CONNECT for MQTT 3.1.1 without a will; username/password left out when undefined. */
export function connectPacket(clientId: string, username: string | undefined, password: string | undefined,
  clean: boolean, keepalive: number): string {
  const u = username != null ? USERNAME_FLAG : 0;
  const w = password != null ? PASSWORD_FLAG : 0;
  return frame(CONNECT, 0, str("MQTT") + chr(MQTT_3_1_1, u | w | (clean ? CLEAN_SESSION_FLAG : 0)) + u16(keepalive) +
    str(clientId) + (u ? str(username!) : "") + (w ? str(password!) : ""));
}

export function publishPacket(topic: string, payload: string, qos: number, id: number, retain: boolean | undefined, dup: boolean): string {
  return frame(PUBLISH, (dup ? DUP_FLAG : 0) | (qos << QOS_SHIFT) | (retain ? RETAIN_FLAG : 0), str(topic) + (qos ? u16(id) : "") + payload);
}

/** SUBSCRIBE of one filter at `qos`. (No UNSUBSCRIBE: the client never sends one.) */
export function subscribePacket(id: number, filter: string, qos: number): string {
  return frame(SUBSCRIBE, SUBSCRIBE_FLAGS, u16(id) + str(filter) + chr(qos));
}

/** A packet of a packet id alone (PUBACK, UNSUBACK), or empty (id < 0 or left out: PINGREQ,
 *  PINGRESP, DISCONNECT). */
export function idPacket(type: number, id?: number): string {
  return frame(type, 0, id! >= 0 ? u16(id!) : "");
}
