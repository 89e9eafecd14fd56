// Reads an MQTT byte stream into decoded packets with mqtt-packet's stream parser, which splits and
// decodes them however the bytes are chunked. What the parser cannot do is refuse a packet from its
// fixed header: it waits for the whole body first. So after each chunk the header of the packet still
// being collected (its first 5 bytes at most) is checked here: its remaining length against the limit,
// applied before the body arrives as ThingsBoard's decoder does, and its first byte, so bytes that
// cannot be MQTT (an HTTP or TLS client on the wrong port) are refused at once, not after a body that
// never comes.
import mqtt, { type Packet } from "mqtt-packet";

export class FrameError extends Error {}

const CONNECT = 1;
const PUBLISH = 3;
/** The first byte and at most 4 bytes of remaining length. */
const MAX_HEADER = 5;

export class PacketReader {
  // Starts as 3.1.1; the parser takes the protocol version of the CONNECT it reads (MQTT 5 properties).
  private readonly parser = mqtt.parser({ protocolVersion: 4 });
  private packets: Packet[] = [];
  private error?: FrameError;
  /** Packets read, bytes given, and bytes of the packets read: the packet being collected starts at `done`. */
  private count = 0;
  private fed = 0;
  private done = 0;
  /** The first bytes (up to MAX_HEADER) of the packet being collected. */
  private head = Buffer.alloc(0);

  constructor(private readonly maxPacketBytes: number) {
    this.parser.on("packet", (p: Packet) => {
      if (this.error) return;
      const remaining = p.length ?? 0;
      // Only a limit below a socket read lets a whole oversized packet come in one chunk; refused too,
      // and `done` stays at its start like a packet the parser failed on.
      if (remaining > maxPacketBytes) {
        this.error = tooLarge(remaining, maxPacketBytes);
        return;
      }
      this.done += 1 + lengthBytes(remaining) + remaining;
      this.count++;
      this.packets.push(p);
    });
    this.parser.on("error", (e: Error) => { this.error ??= new FrameError(`malformed packet: ${e.message}`); });
  }

  /**
   * Returns every packet completed by `chunk`; throws FrameError when the stream is not acceptable MQTT
   * (and on every call after that: the parser does not resynchronise).
   */
  push(chunk: Buffer): Packet[] {
    if (this.error) throw this.error;
    if (!chunk.length) return [];
    const start = this.fed;
    this.fed += chunk.length;
    this.parser.parse(chunk);
    const at = this.done - start;
    this.head = at >= 0
      ? Buffer.from(chunk.subarray(at, at + MAX_HEADER))
      : Buffer.concat([this.head, chunk.subarray(0, MAX_HEADER - this.head.length)]);
    // A failed packet is never emitted, so `head` is then its header, whose own fault names the byte.
    const headerFault = this.head.length ? checkHeader(this.head, this.count === 0, this.maxPacketBytes) : undefined;
    if (headerFault) this.error = headerFault;
    if (this.error) throw this.error;
    const out = this.packets;
    this.packets = [];
    return out;
  }
}

/** What the fixed header alone tells: undefined while it is acceptable or incomplete. */
function checkHeader(head: Buffer, first: boolean, maxPacketBytes: number): FrameError | undefined {
  const byte = head[0]!;
  const type = byte >> 4;
  const flags = byte & 0x0f;
  if (first && type !== CONNECT) return new FrameError(`first packet is not CONNECT (first byte 0x${hex(byte)})`);
  if (type === 0 || type === 15) return new FrameError(`reserved packet type ${type} (first byte 0x${hex(byte)})`);
  if (type === PUBLISH) {
    if ((flags & 0x06) === 0x06) return new FrameError("PUBLISH with both QoS bits set");
  } else {
    // MQTT 3.1.1 section 2.2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry flags 0010, the others 0000.
    const required = type === 6 || type === 8 || type === 10 ? 2 : 0;
    if (flags !== required) return new FrameError(`invalid fixed-header flags 0x${hex(byte)}`);
  }
  let remaining = 0;
  for (let i = 1; i < MAX_HEADER && i < head.length; i++) {
    remaining += (head[i]! & 0x7f) * 128 ** (i - 1);
    if ((head[i]! & 0x80) === 0) return remaining > maxPacketBytes ? tooLarge(remaining, maxPacketBytes) : undefined;
  }
  return head.length === MAX_HEADER ? new FrameError("malformed remaining length (more than 4 bytes)") : undefined;
}

// The limit applies to the remaining length, as in Netty's MqttDecoder used by ThingsBoard.
function tooLarge(remaining: number, maxPacketBytes: number): FrameError {
  return new FrameError(`packet of ${remaining} bytes exceeds the limit of ${maxPacketBytes} bytes`);
}

/** Bytes the remaining-length field takes for a value (MQTT's variable byte integer). */
function lengthBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
