// MQTT suite: minified size of src/mqtt beside Espruino's MQTT module, and encode/decode
// throughput of our codec beside mqtt-packet on the same packets.
import mqttPacket from "mqtt-packet";
import { gzipSync } from "node:zlib";
import { bundleMqtt } from "./mqtt-bundle.ts";
import { decoder } from "../mqtt/decoder.ts";
import { encode } from "../mqtt/encode-packet.ts";
import type { Packet } from "../../src/mqtt/packet.ts";

/** Espruino's downloadable MQTT module, as published (espruino.com/MQTT, minified). */
const ESPRUINO_MQTT_MIN_BYTES = 6.1 * 1024;
const TARGET_BYTES = 3 * 1024;

function rate(label: string, packets: number, bytes: number, ms: number): string {
  const s = ms / 1000;
  return `${label.padEnd(34)} ${(packets / s).toFixed(0).padStart(9)} packets/s ${(bytes / s / 1e6).toFixed(1).padStart(7)} MB/s`;
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function runMqttBench(print: (line: string) => void): Promise<void> {
  const code = await bundleMqtt();
  print(`mqtt size: ours ${code.length} B minified (${gzipSync(code).length} B gzip), target <= ${TARGET_BYTES} B` +
    `${code.length <= TARGET_BYTES ? "" : " (over)"}; Espruino MQTT module ${ESPRUINO_MQTT_MIN_BYTES.toFixed(0)} B (published 6.1 KB, QoS 0 only)`);

  const payload = '{"temperature":25.5,"humidity":27}';
  const packets: Packet[] = [
    { type: 3, qos: 1, dup: false, retain: false, id: 1, topic: "v1/devices/me/telemetry", payload },
    { type: 3, qos: 0, dup: false, retain: false, topic: "v1/devices/me/attributes", payload: "x".repeat(1000) },
    { type: 4, id: 1 },
    { type: 13 },
  ];
  const refs = packets.map((p) => mqttPacket.generate(refObject(p)));
  const rounds = 20000;
  const n = rounds * packets.length;
  const bytes = rounds * refs.reduce((a, b) => a + b.length, 0);

  let sink = 0;
  print(rate("encode ours", n, bytes, time(() => {
    for (let r = 0; r < rounds; r++) for (const p of packets) sink += encode(p).length;
  })));
  print(rate("encode mqtt-packet", n, bytes, time(() => {
    for (let r = 0; r < rounds; r++) for (const p of packets) sink += mqttPacket.generate(refObject(p)).length;
  })));

  // Decoding a stream cut into Espruino's 536-byte chunks, strings for ours and Buffers for mqtt-packet.
  const wire = Buffer.concat(Array.from({ length: 500 }, () => Buffer.concat(refs)));
  const reps = rounds / 500;
  const chunksB: Buffer[] = [];
  for (let i = 0; i < wire.length; i += 536) chunksB.push(wire.subarray(i, i + 536));
  const chunksS = chunksB.map((c) => c.toString("latin1"));
  print(rate("decode ours (536-byte chunks)", n, bytes, time(() => {
    for (let r = 0; r < reps; r++) {
      const d = decoder(4096);
      for (const c of chunksS) d.feed(c, () => sink++);
    }
  })));
  print(rate("decode mqtt-packet (536-byte chunks)", n, bytes, time(() => {
    for (let r = 0; r < reps; r++) {
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on("packet", () => sink++);
      for (const c of chunksB) parser.parse(c);
    }
  })));
  if (sink < 0) print("");
}

function refObject(p: Packet): mqttPacket.Packet {
  if (p.type == 3) {
    return { cmd: "publish", topic: p.topic!, payload: Buffer.from(p.payload!, "latin1"), qos: p.qos as 0 | 1,
      dup: !!p.dup, retain: !!p.retain, messageId: p.id };
  }
  if (p.type == 4) return { cmd: "puback", messageId: p.id };
  return { cmd: "pingresp" };
}
