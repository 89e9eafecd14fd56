// MQTT 3.1.1 packet types (fixed-header high nibble) and the decoded packet shape.
// Strings in packets are Espruino binary strings: one char per byte, topics already UTF-8.

export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** The start of the message for a packet type a client must not receive. (Written out: a constant
 *  used once then lives in the code, which runs from flash, not in a variable in RAM.) */
export const UNEXPECTED = "unexpected packet type ";
/** The start of the message for a packet whose length or flags do not fit its type. */
export const MALFORMED = "malformed packet type ";

export interface Subscription {
  topic: string;
  qos: number;
}

/** One packet; only the fields of its type are set. */
export interface Packet {
  type: number;
  /** Bytes the packet took on the wire, header included (set by readPacket). */
  length?: number;
  /** Packet identifier: PUBLISH (QoS 1), PUBACK, (UN)SUBSCRIBE, SUBACK, UNSUBACK. */
  id?: number;
  /** PUBLISH */
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  topic?: string;
  payload?: string;
  /** CONNACK */
  session?: boolean;
  code?: number;
  /** SUBACK: granted QoS per filter, 0x80 = refused. */
  granted?: number[];
  /** SUBSCRIBE */
  subs?: Subscription[];
  /** UNSUBSCRIBE */
  topics?: string[];
  /** CONNECT (no will: ThingsBoard ignores it) */
  clientId?: string;
  username?: string;
  password?: string;
  keepalive?: number;
  clean?: boolean;
}
