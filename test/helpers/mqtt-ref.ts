// Converts between our Packet (binary strings) and mqtt-packet's objects (Buffers, JS strings),
// so each codec can be checked against the other.
import mqttPacket from "mqtt-packet";
import { decoder } from "../../tools/mqtt/decoder.ts";
import { parseAny } from "../../tools/mqtt/parse-any.ts";
import type { Packet } from "../../src/mqtt/packet.ts";

const CMDS = ["", "connect", "connack", "publish", "puback", "", "", "", "subscribe", "suback", "unsubscribe",
  "unsuback", "pingreq", "pingresp", "disconnect"] as const;

/** A JS string to the UTF-8 bytes we put in packets. */
export const bytes = (s: string): string => Buffer.from(s, "utf8").toString("latin1");
/** Our bytes back to a JS string. */
export const text = (b: string): string => Buffer.from(b, "latin1").toString("utf8");

export function toRef(p: Packet): mqttPacket.Packet {
  const cmd = CMDS[p.type];
  const r: Record<string, unknown> = { cmd };
  if (p.id !== undefined) r.messageId = p.id;
  switch (p.type) {
    case 1:
      Object.assign(r, { protocolId: "MQTT", protocolVersion: 4, clean: p.clean, keepalive: p.keepalive,
        clientId: text(p.clientId!) });
      if (p.username !== undefined) r.username = text(p.username);
      if (p.password !== undefined) r.password = Buffer.from(p.password, "latin1");
      break;
    case 2: Object.assign(r, { sessionPresent: p.session, returnCode: p.code }); break;
    case 3: Object.assign(r, { topic: text(p.topic!), payload: Buffer.from(p.payload!, "latin1"), qos: p.qos,
      dup: p.dup, retain: p.retain }); break;
    case 8: r.subscriptions = p.subs!.map((s) => ({ topic: text(s.topic), qos: s.qos })); break;
    case 9: r.granted = p.granted; break;
    case 10: r.unsubscriptions = p.topics!.map(text); break;
  }
  return r as unknown as mqttPacket.Packet;
}

export function fromRef(r: any): Packet {
  const type = CMDS.indexOf(r.cmd);
  const p: Packet = { type };
  switch (type) {
    case 1:
      Object.assign(p, { clean: r.clean, keepalive: r.keepalive, clientId: bytes(r.clientId) });
      if (r.username !== undefined) p.username = bytes(r.username);
      if (r.password !== undefined) p.password = Buffer.from(r.password).toString("latin1");
      break;
    case 2: Object.assign(p, { session: r.sessionPresent, code: r.returnCode }); break;
    case 3:
      Object.assign(p, { qos: r.qos, dup: r.dup, retain: r.retain, topic: bytes(r.topic) });
      if (r.qos) p.id = r.messageId;
      p.payload = Buffer.from(r.payload).toString("latin1");
      break;
    case 4: case 11: p.id = r.messageId; break;
    case 8: Object.assign(p, { id: r.messageId, subs: r.subscriptions.map((s: any) => ({ topic: bytes(s.topic), qos: s.qos })) }); break;
    case 9: Object.assign(p, { id: r.messageId, granted: r.granted }); break;
    case 10: Object.assign(p, { id: r.messageId, topics: r.unsubscriptions.map(bytes) }); break;
  }
  return p;
}

/** Parses a whole byte stream with mqtt-packet; throws on its errors. */
export function refParse(wire: Buffer): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: Packet[] = [];
  let err: Error | undefined;
  parser.on("packet", (r) => out.push(fromRef(r)));
  parser.on("error", (e) => (err = e));
  parser.parse(wire);
  if (err) throw err;
  return out;
}

/** Parses a byte stream with ours (all packet types); throws on a decoder error. */
export function ourParse(wire: string | string[], max = 1 << 28): Packet[] {
  const d = decoder(max, parseAny);
  const out: Packet[] = [];
  for (const chunk of typeof wire == "string" ? [wire] : wire) {
    const err = d.feed(chunk, (p) => out.push(p));
    if (err) throw new Error(err);
  }
  return out;
}
