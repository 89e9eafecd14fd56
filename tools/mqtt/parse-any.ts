// Body parser for every supported packet, also those only a broker receives (CONNECT, SUBSCRIBE,
// UNSUBSCRIBE): the host's codec for tests, the bench and tools. The firmware needs only
// src/mqtt/decode.ts's parse, which this falls back to for every other type.
import { parse } from "../../src/mqtt/decode.ts";
import { CONNECT, MALFORMED, SUBSCRIBE, UNSUBSCRIBE } from "../../src/mqtt/packet.ts";
import type { Packet, Subscription } from "../../src/mqtt/packet.ts";
import { reader } from "./reader.ts";

export function parseAny(h: number, body: string): Packet | string {
  const t = h >> 4;
  const f = h & 15;
  if (t != CONNECT && t != SUBSCRIBE && t != UNSUBSCRIBE) return parse(h, body);
  if (f != (t == CONNECT ? 0 : 2)) return "bad flags on type " + t;
  const p: Packet = { type: t };
  const r = reader(body);
  if (t == CONNECT) {
    const name = r.str();
    const level = r.u8();
    const fl = r.u8();
    // The name is quoted as JSON: it is the peer's bytes, and the message must stay one printable line.
    if (name != "MQTT" || level != 4) return "not MQTT 3.1.1: protocol " + JSON.stringify(name) + " level " + level;
    if (fl & 61) return "CONNECT flags " + fl + ": will and reserved bit not supported";
    p.clean = !!(fl & 2);
    p.keepalive = r.u16();
    p.clientId = r.str();
    if (fl & 128) p.username = r.str();
    if (fl & 64) p.password = r.str();
  } else {
    p.id = r.u16();
    const subs: Subscription[] = [];
    const topics: string[] = [];
    while (r.more()) {
      if (t == SUBSCRIBE) subs.push({ topic: r.str(), qos: r.u8() });
      else topics.push(r.str());
    }
    if (!subs.length && !topics.length) return "packet type " + t + " without topics";
    if (t == SUBSCRIBE) p.subs = subs;
    else p.topics = topics;
  }
  return r.whole() ? p : MALFORMED + t;
}
