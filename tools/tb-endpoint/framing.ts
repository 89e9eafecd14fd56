// Splits an MQTT byte stream into whole packets, enforcing the size limit from the fixed header alone,
// so an oversized packet is refused before its body is buffered (ThingsBoard's decoder does the same).

export class FrameError extends Error {}

export class PacketFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Total size of the packet being collected, once its header is complete. */
  private expected = -1;
  private count = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Returns every packet completed by `chunk`; throws FrameError on a malformed or oversized header. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (!chunk.length) return out;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        this.checkFirstByte(this.pending[0]![0]!);
        const head = this.peek(Math.min(this.pendingBytes, 5));
        const size = packetSize(head, this.maxPacketBytes);
        if (size === undefined) break;
        this.expected = size;
      }
      if (this.pendingBytes < this.expected) break;
      const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      out.push(all.subarray(0, this.expected));
      const rest = all.subarray(this.expected);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
      this.expected = -1;
      this.count++;
      if (!rest.length) break;
    }
    return out;
  }

  /**
   * Checks what the first byte alone tells, so that bytes which cannot be MQTT (a TLS or HTTP client on
   * the wrong port) are refused at once instead of waiting for a body that never comes.
   */
  private checkFirstByte(byte: number): void {
    const type = byte >> 4;
    const flags = byte & 0x0f;
    if (this.count === 0 && type !== CONNECT) throw new FrameError(`first packet is not CONNECT (first byte 0x${hex(byte)})`);
    if (type === 0 || type === 15) throw new FrameError(`reserved packet type ${type} (first byte 0x${hex(byte)})`);
    if (type === PUBLISH) {
      if ((flags & 0x06) === 0x06) throw new FrameError("PUBLISH with both QoS bits set");
      return;
    }
    // MQTT 3.1.1 section 2.2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry flags 0010, the others 0000.
    const required = type === 6 || type === 8 || type === 10 ? 2 : 0;
    if (flags !== required) throw new FrameError(`invalid fixed-header flags 0x${hex(byte)}`);
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!.subarray(0, n);
    return Buffer.concat(this.pending).subarray(0, n);
  }
}

const CONNECT = 1;
const PUBLISH = 3;

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/** Whole packet size from the fixed header, or undefined while the header is incomplete. */
function packetSize(head: Buffer, maxPacketBytes: number): number | undefined {
  let remaining = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= head.length) return undefined;
    const byte = head[i]!;
    remaining += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) {
      // The limit applies to the remaining length, as in Netty's MqttDecoder used by ThingsBoard.
      if (remaining > maxPacketBytes) {
        throw new FrameError(`packet of ${remaining} bytes exceeds the limit of ${maxPacketBytes} bytes`);
      }
      return 1 + i + remaining;
    }
  }
  throw new FrameError("malformed remaining length (more than 4 bytes)");
}
