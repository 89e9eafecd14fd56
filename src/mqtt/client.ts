// MQTT 3.1.1 session over one Espruino-shaped socket at a time. It opens sockets only through
// the caller's `connect` and reads the time only from the caller's `now`, so the same code runs
// on the board (tls.connect, uptime) and in Node tests; setTimeout and clearTimeout are the
// globals both have. Reconnecting is the caller's decision:
// after onDisconnect, call open() again when it sees fit; queued QoS 1 messages wait meanwhile.
// Strings are bytes: every topic, filter, payload, client id, username and password the caller
// gives, and every topic and payload it gets back, is a byte string, one char per byte (0-255),
// sent and delivered exactly as it is. The client encodes no text: on the board every string is
// bytes already (Espruino strings are 8-bit, docs/espruino.md §1.4; its JSON.stringify writes
// every char from 0x7f up as \uXXXX, measured), and a caller holding text with chars above 0x7f
// encodes it with utf8() (./utf8.ts) first. A char above 0xFF can exist only in Node, and is not
// checked for: see publish().
// RAM: on the board every function kept alive costs several JsVars, so the socket's listeners are
// the client's own functions, not closures made per connection; a socket that is given up loses
// its listeners, so none of its late events can reach the next connection.
import { TLS_CLOSE_NOTIFY } from "../constants.js";
import { at, chr } from "./chr.js";
import { DUP_FLAG, readPacket } from "./decode.js";
import { connectPacket, idPacket, publishPacket, subscribePacket } from "./encode.js";
import { CONNACK, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBLISH, SUBACK, UNEXPECTED } from "./packet.js";
import type { Packet } from "./packet.js";
import { matches, validFilter } from "./topic.js";
import { schedule } from "../timer.js";
import type { Timer } from "../timer.js";

/** What `connect` must return: the shape of Espruino's net/tls Socket. */
export interface Socket {
  write(data: string): unknown;
  end(): void;
  on(event: string, cb: (arg?: any) => void): void;
  removeAllListeners(): void;
}

/** Gets a delivered message; topic and payload are byte strings, the bytes as the broker sent them. */
export type MessageHandler = (topic: string, payload: string, packet: Packet) => void;

/**
 * Why a connection ended: "refused" (code = CONNACK code 1-5), "timeout" (no CONNACK or no
 * PINGRESP), "socket" (code = socket error code, 0 for a plain close), "protocol" (malformed,
 * oversized or unexpected packet), "closed" (close() was called).
 */
export type DisconnectKind = "refused" | "timeout" | "socket" | "protocol" | "closed";

export interface ClientOptions {
  /** Opens a socket; must call onOpen asynchronously once it can be written to. May throw. */
  connect(onOpen: () => void): Socket;
  /** Milliseconds from a clock that only moves forward: on the board the uptime, not getTime(), which jumps when SNTP sets it.
   *  A timer that fires before it is due on this clock (Espruino fires them all at such a jump) waits out the rest. */
  now(): number;
  clientId: string;
  /** ThingsBoard: the device access token. */
  username?: string;
  password?: string;
  /** Default true. */
  clean?: boolean;
  /** Seconds, default 60; 0 disables PINGREQ. */
  keepalive?: number;
  /** Milliseconds from open() to CONNACK, default 10000. */
  connackTimeout?: number;
  /** Largest incoming packet in bytes, default 4096; a larger one ends the connection. */
  maxPacket?: number;
  /** QoS 1 messages sent and not yet acknowledged, at most; default 5. */
  inflight?: number;
  /** QoS 1 messages kept (in flight plus waiting), default 20; when full the oldest is dropped. */
  queue?: number;
  /** Problems nothing else reports: a message handler that threw ("mqtt: handler threw ..."). */
  log?(line: string): void;
  onConnect?(sessionPresent: boolean): void;
  onDisconnect?(kind: DisconnectKind, message: string, code: number): void;
  /** Messages no subscribe() handler matched. */
  onMessage?: MessageHandler;
  /** The broker acknowledged QoS 1 publish `id`. */
  onPublished?(id: number): void;
  /** QoS 1 publish `id` was dropped unacknowledged because the queue was full. */
  onDropped?(id: number): void;
  /** SUBACK for `filter` (the byte string subscribe() was given): granted QoS 0 or 1, or 128 when the broker refused it. */
  onSubscribed?(filter: string, granted: number): void;
}

export interface Client {
  /** Starts a connection unless one is open or opening; onConnect or onDisconnect follows. */
  open(): void;
  /** Sends DISCONNECT when connected and ends the socket; onDisconnect("closed") follows. */
  close(): void;
  /**
   * Publishes `payload` to `topic`, both byte strings sent as they are (for text with chars above
   * 0x7f, pass utf8(text)). QoS 1: kept even while disconnected, sent in order within the in-flight
   * window, sent again with DUP after a reconnect until acknowledged; returns its packet id. QoS 0:
   * sent at once, returns 0; or returns -1 when not connected (refused: nothing is sent). Throws on
   * an empty topic, one with + or #, or a QoS other than 0 and 1. A char above 0xFF (possible only
   * in Node) is not refused: the check would cost the board bytes for a case it cannot have. It goes
   * to the socket as it is, counted as one byte in the lengths; the virtual board's socket keeps its
   * low byte.
   */
  publish(topic: string, payload: string, qos?: number, retain?: boolean): number;
  /**
   * Subscribes `filter` (a byte string sent as it is, like publish()'s topic) at QoS 0 or 1, now if
   * connected and again after every CONNACK (ThingsBoard forgets subscriptions: docs/thingsboard.md
   * §1.3). Matching messages go to `handler` if given, else to onMessage. + and # may each fill a
   * whole level, # only the last; throws otherwise.
   */
  subscribe(filter: string, qos?: number, handler?: MessageHandler): void;
  /** True between CONNACK 0 and the disconnect. */
  connected(): boolean;
}

/** Session states. */
const DOWN = 0;
const WAITING_CONNACK = 1;
const CONNECTED = 2;

// A QoS 1 message: packet id and encoded PUBLISH (with DUP set once it has been sent).
interface Outgoing {
  id: number;
  packet: string;
}

interface Subscription {
  topicFilter: string;
  qos: number;
  handler?: MessageHandler;
}

export function createClient(o: ClientOptions): Client {
  const keepalive = o.keepalive ?? 60;
  /** The timer's period while connected: half the keep-alive, in ms. */
  const half = keepalive * 500;
  const connackMs = o.connackTimeout || 10000;
  /** The open socket; 0 (or unset) when there is none. */
  let sock: Socket | 0 | undefined;
  // State the first connection sets needs no initial value (0 in the bundle costs bytes).
  /** DOWN (or unset before the first open()), WAITING_CONNACK or CONNECTED. */
  let state: number;
  /** QoS 1 messages in order; the first `sent` of them were sent on this connection (set at CONNACK). */
  const queue: Outgoing[] = [];
  let sent: number;
  let subs: Subscription[] = [];
  /** SUBSCRIBEs waiting for their SUBACK: packet id -> filter. (No UNSUBSCRIBE: the firmware never
   *  drops a subscription, and the board pays for every method.) */
  let acks: Record<number, string> = {};
  let lastId = 0;
  /** Bytes received and not parsed yet: at most one incomplete packet. */
  let received = "";
  /** The CONNACK or keep-alive timer. */
  const timer: Timer = { clock: o.now };
  /** Set by the CONNECT packet, before anything reads it. */
  let lastSend: number;
  /** When the unanswered PINGREQ went out, -1 when none. */
  let pingAt = -1;

  const send = (data: string) => sock && (sock.write(data), (lastSend = o.now()));

  function newId(): number {
    do lastId = (lastId % 65535) + 1;
    while (acks[lastId] || queue.some((m) => m.id == lastId));
    return lastId;
  }

  /** Ends the connection once; in-flight QoS 1 messages stay queued for the next open(). `code`
   *  is 0 when left out. */
  function fail(kind: DisconnectKind, why: string, code?: number): void {
    const s = sock;
    if (!state) return;
    sock = state = DOWN;
    schedule(timer);
    received = "";
    acks = {};
    pingAt = -1;
    if (s) {
      s.removeAllListeners();
      try {
        s.end();
      } catch (e) {
        // already closed
      }
    }
    if (o.onDisconnect) o.onDisconnect(kind, why, code! | 0);
  }

  function tick(): void {
    if (state == WAITING_CONNACK) return fail("timeout", `no CONNACK in ${connackMs} ms`);
    const now = o.now();
    if (pingAt >= 0) {
      if (now - pingAt >= half * 2) return fail("timeout", `no PINGRESP in ${keepalive} s`);
    } else if (now - lastSend >= half) {
      send(idPacket(PINGREQ));
      pingAt = now;
    }
    schedule(timer, tick, half);
  }

  /** Sends what the in-flight window allows; after a reconnect, unacknowledged ones go again as DUP. */
  function pump(): void {
    while (state == CONNECTED && sent < queue.length && sent < (o.inflight || 5)) {
      const m = queue[sent++];
      send(m.packet);
      m.packet = chr(at(m.packet, 0) | DUP_FLAG) + m.packet.substr(1);
    }
  }

  /** SUBSCRIBE `filter` (bytes); its SUBACK is matched by packet id. */
  function sendSubscribe(s: Subscription): void {
    const id = newId();
    send(subscribePacket(id, (acks[id] = s.topicFilter), s.qos));
  }

  function handle(p: Packet): void {
    const type = p.type;
    const id = p.id!;
    // Declared up front (one declaration statement in the bundle): the CONNACK code, the index of
    // an acknowledged message, the number of handlers a PUBLISH went to and the function that calls one.
    const code = p.code!;
    let i: number;
    let n: number;
    let deliver: (h: MessageHandler) => void;
    if (state == WAITING_CONNACK) {
      if (type != CONNACK) return fail("protocol", UNEXPECTED + type);
      // The code's meaning is the caller's to explain (the link knows ThingsBoard's); names cost the board bytes.
      if (code) return fail("refused", "refused with CONNACK " + code, code);
      state = CONNECTED;
      // With keep-alive 0 (half 0) this just stops the CONNACK timer.
      schedule(timer, tick, half);
      subs.forEach(sendSubscribe);
      sent = 0;
      if (o.onConnect) o.onConnect(!!p.session);
      pump();
    } else if (type == PUBLISH) {
      // Every matching subscription's handler, in order, else onMessage. A throwing handler must not
      // abort the rest of the chunk nor the PUBACK. (A handler that subscribes leaves this message's
      // handlers as they were: subscribe() replaces `subs` instead of changing it.)
      deliver = (h) => {
        try {
          h(p.topic!, p.payload!, p);
        } catch (e) {
          if (o.log) o.log("mqtt: handler threw " + e);
        }
        n++;
      };
      n = 0;
      subs.forEach((s) => s.handler && matches(s.topicFilter, p.topic!) && deliver(s.handler));
      if (!n && o.onMessage) deliver(o.onMessage);
      if (p.qos) send(idPacket(PUBACK, id));
    } else if (type == PUBACK) {
      i = queue.findIndex((m) => m.id == id);
      if (i >= 0 && i < sent) {
        queue.splice(i, 1);
        sent--;
        if (o.onPublished) o.onPublished(id);
        pump();
      }
    } else if (type == SUBACK) {
      // A SUBACK for no SUBSCRIBE of this connection is ignored, as before its CONNACK.
      if (acks[id] && o.onSubscribed) o.onSubscribed(acks[id], p.granted![0]);
      delete acks[id];
    } else if (type == PINGRESP) pingAt = -1;
    else fail("protocol", UNEXPECTED + type);
  }

  // The socket's listeners: one set for every connection (fail() detaches them from a dead socket).
  const onOpen = () => send(connectPacket(o.clientId, o.username, o.password, o.clean != false, keepalive));

  function onData(chunk: string): void {
    received += chunk;
    // Packets in order; a handler may end the connection (fail() empties `received`).
    while (state) {
      const p = readPacket(received, o.maxPacket || 4096);
      if (!p) return;
      if (typeof p == "string") return fail("protocol", p);
      received = received.substr(p.length!);
      handle(p);
    }
  }

  /** "error" (with an mbedTLS or socket code) and "close" (with a boolean). */
  function onEnd(e?: { code: number; message: string }): void {
    const code = e && e.code;
    fail("socket", code && code != TLS_CLOSE_NOTIFY ? "error " + code + " " + e!.message : "closed by the broker", code);
  }

  return {
    open() {
      if (state) return;
      state = WAITING_CONNACK;
      schedule(timer, tick, connackMs);
      try {
        sock = o.connect(onOpen);
      } catch (e) {
        // Espruino throws from connect when nothing listens (measured on the Linux build,
        // docs/espruino.md §3.3); sock stays 0.
        return fail("socket", "" + e);
      }
      sock.on("data", onData);
      sock.on("error", onEnd);
      sock.on("close", onEnd);
    },

    close() {
      if (state == CONNECTED) send(idPacket(DISCONNECT));
      fail("closed", "closed by the client");
    },

    publish(topic, payload, qos, retain) {
      if (!topic || /[+#]/.test(topic) || qos! > 1) {
        throw Error("mqtt: bad topic '" + topic + "' or QoS " + qos);
      }
      const id = qos ? newId() : 0;
      const packet = publishPacket(topic, payload, qos ? 1 : 0, id, retain, false);
      if (!qos) {
        if (state != CONNECTED) return -1;
        send(packet);
        return 0;
      }
      if (queue.length >= (o.queue || 20)) {
        // The oldest goes; if it was in flight, its PUBACK will find nothing.
        const dropped = queue.shift()!;
        if (sent) sent--;
        if (o.onDropped) o.onDropped(dropped.id);
      }
      queue.push({ id: id, packet: packet });
      pump();
      return id;
    },

    subscribe(filter, qos, handler) {
      if (!validFilter(filter)) throw Error(`mqtt: bad filter '${filter}'`);
      const sub: Subscription = { topicFilter: filter, qos: qos ? 1 : 0, handler: handler };
      subs = subs.filter((s) => s.topicFilter != filter);
      subs.push(sub);
      if (state == CONNECTED) sendSubscribe(sub);
    },

    connected: () => state == CONNECTED,
  };
}
