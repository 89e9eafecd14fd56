// Body parser for every supported packet, also those only a broker receives (CONNECT, SUBSCRIBE,
// UNSUBSCRIBE): for tests and host tools; the client itself needs only decode.ts's parse.
import { parse } from "./decode.js";
import { CONNECT, MALFORMED, SUBSCRIBE, UNSUBSCRIBE } from "./packet.js";
import type { Packet, Subscription } from "./packet.js";
import { begin, more, str, u16, u8, whole } from "./reader.js";

export function parseAny(h: number, body: string): Packet | string {
  const t = h >> 4;
  const f = h & 15;
  if (t != CONNECT && t != SUBSCRIBE && t != UNSUBSCRIBE) return parse(h, body);
  if (f != (t == CONNECT ? 0 : 2)) return "bad flags on type " + t;
  const p: Packet = { type: t };
  begin(body);
  if (t == CONNECT) {
    const name = str();
    const level = u8();
    const fl = u8();
    // The name is quoted as JSON: it is the peer's bytes, and the message must stay one printable line.
    if (name != "MQTT" || level != 4) return "not MQTT 3.1.1: protocol " + JSON.stringify(name) + " level " + level;
    if (fl & 61) return "CONNECT flags " + fl + ": will and reserved bit not supported";
    p.clean = !!(fl & 2);
    p.keepalive = u16();
    p.clientId = str();
    if (fl & 128) p.username = str();
    if (fl & 64) p.password = str();
  } else {
    p.id = u16();
    const subs: Subscription[] = [];
    const topics: string[] = [];
    while (more()) {
      if (t == SUBSCRIBE) subs.push({ topic: str(), qos: u8() });
      else topics.push(str());
    }
    if (!subs.length && !topics.length) return "packet type " + t + " without topics";
    if (t == SUBSCRIBE) p.subs = subs;
    else p.topics = topics;
  }
  return whole() ? p : MALFORMED + t;
}
