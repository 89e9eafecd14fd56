// Generic generator over the Packet shape, the counterpart of the decoder's output (tests, tools).
import { connackPacket, connectPacket, emptyPacket, idPacket, publishPacket, subackPacket, subscribePacket,
  unsubscribePacket } from "./encode.js";
import { CONNACK, CONNECT, PUBACK, PUBLISH, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from "./packet.js";
import type { Packet } from "./packet.js";

/** Encodes any supported packet; throws for a type outside MQTT 3.1.1's QoS 0/1 set. */
export function encode(p: Packet): string {
  const t = p.type;
  if (t == CONNECT) return connectPacket(p.clientId || "", p.username, p.password, !!p.clean, p.keepalive || 0);
  if (t == CONNACK) return connackPacket(!!p.session, p.code || 0);
  if (t == PUBLISH) return publishPacket(p.topic || "", p.payload || "", p.qos || 0, p.id || 0, !!p.retain, !!p.dup);
  if (t == PUBACK || t == UNSUBACK) return idPacket(t, p.id || 0);
  if (t == SUBSCRIBE) return subscribePacket(p.id || 0, p.subs || []);
  if (t == SUBACK) return subackPacket(p.id || 0, p.granted || []);
  if (t == UNSUBSCRIBE) return unsubscribePacket(p.id || 0, p.topics || []);
  if (t >= 12 && t <= 14) return emptyPacket(t);
  throw new Error("mqtt encode: packet type " + t + " is not supported (use 1-4 or 8-14)");
}
