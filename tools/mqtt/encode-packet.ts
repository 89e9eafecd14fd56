// Generic generator over the Packet shape, the counterpart of parse-any's output, including the
// packets only a broker sends: the host's codec for tests, the bench and tools. It builds on the
// firmware's generators in src/mqtt/encode.ts, which are all the client on the board needs.
import { chr } from "../../src/mqtt/chr.ts";
import { connectPacket, frame, idPacket, publishPacket, str, u16 } from "../../src/mqtt/encode.ts";
import { CONNACK, CONNECT, PUBACK, PUBLISH, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from "../../src/mqtt/packet.ts";
import type { Packet } from "../../src/mqtt/packet.ts";

/** Encodes any supported packet; throws for a type outside MQTT 3.1.1's QoS 0/1 set. */
export function encode(p: Packet): string {
  const t = p.type;
  const id = u16(p.id || 0);
  if (t == CONNECT) return connectPacket(p.clientId || "", p.username, p.password, !!p.clean, p.keepalive || 0);
  if (t == CONNACK) return frame(t, 0, chr(p.session ? 1 : 0, p.code || 0));
  if (t == PUBLISH) return publishPacket(p.topic || "", p.payload || "", p.qos || 0, p.id || 0, !!p.retain, !!p.dup);
  if (t == PUBACK || t == UNSUBACK) return idPacket(t, p.id || 0);
  if (t == SUBSCRIBE) return frame(t, 2, id + (p.subs || []).map((s) => str(s.topic) + chr(s.qos)).join(""));
  if (t == SUBACK) return frame(t, 0, id + chr.apply(null, p.granted || []));
  if (t == UNSUBSCRIBE) return frame(t, 2, id + (p.topics || []).map(str).join(""));
  if (t >= 12 && t <= 14) return idPacket(t, -1);
  throw new Error("mqtt encode: packet type " + t + " is not supported (use 1-4 or 8-14)");
}
