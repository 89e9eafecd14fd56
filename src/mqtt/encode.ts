// Packet generators: each returns the packet's wire bytes as a binary string. String arguments
// must already be bytes (see utf8); packet ids are 1..65535.
import { CONNACK, CONNECT, PUBLISH, SUBACK, SUBSCRIBE, UNSUBSCRIBE } from "./packet.js";
import type { Subscription } from "./packet.js";

import { chr } from "./chr.js";

export function u16(n: number): string {
  return chr(n >> 8, n & 255);
}

function str(s: string): string {
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
  const u = username != null;
  const w = password != null;
  return frame(CONNECT, 0, str("MQTT") + chr(4, (u ? 128 : 0) | (w ? 64 : 0) | (clean ? 2 : 0)) + u16(keepalive) +
    str(clientId) + (u ? str(username!) : "") + (w ? str(password!) : ""));
}

export function publishPacket(topic: string, payload: string, qos: number, id: number, retain: boolean, dup: boolean): string {
  return frame(PUBLISH, (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), str(topic) + (qos ? u16(id) : "") + payload);
}

export function subscribePacket(id: number, subs: Subscription[]): string {
  let b = u16(id);
  for (const s of subs) b += str(s.topic) + chr(s.qos);
  return frame(SUBSCRIBE, 2, b);
}

export function unsubscribePacket(id: number, topics: string[]): string {
  let b = u16(id);
  for (const t of topics) b += str(t);
  return frame(UNSUBSCRIBE, 2, b);
}

/** PUBACK or UNSUBACK. */
export function idPacket(type: number, id: number): string {
  return frame(type, 0, u16(id));
}

/** PINGREQ, PINGRESP or DISCONNECT. */
export function emptyPacket(type: number): string {
  return frame(type, 0, "");
}

export function connackPacket(sessionPresent: boolean, code: number): string {
  return frame(CONNACK, 0, chr(sessionPresent ? 1 : 0, code));
}

export function subackPacket(id: number, granted: number[]): string {
  return frame(SUBACK, 0, u16(id) + chr.apply(null, granted));
}
