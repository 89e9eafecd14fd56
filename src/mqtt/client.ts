// MQTT 3.1.1 session over one Espruino-shaped socket at a time. It opens sockets only through
// the caller's `connect` and reads the time only from the caller's `now`, so the same code runs
// on the board (tls.connect, uptime) and in Node tests; setTimeout and clearTimeout are the
// globals both have. Reconnecting is the caller's decision:
// after onDisconnect, call open() again when it sees fit; queued QoS 1 messages wait meanwhile.
// State lives in closure variables (minified to one letter; one client per program).
import { at, chr } from "./chr.js";
import { decoder } from "./decode.js";
import { connectPacket, idPacket, publishPacket, subPacket } from "./encode.js";
import { CONNACK, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBLISH, SUBACK, SUBSCRIBE, UNEXPECTED } from "./packet.js";
import type { Packet } from "./packet.js";
import { matches, validFilter } from "./topic.js";
import { slot } from "../timer.js";
import { utf8 } from "./utf8.js";

/** What `connect` must return: the shape of Espruino's net/tls Socket. */
export interface Socket {
  write(data: string): unknown;
  end(): void;
  on(event: string, cb: (arg?: any) => void): void;
}

/** Gets a delivered message; topic and payload are binary strings (the UTF-8 bytes as sent). */
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
  /** SUBACK for `filter` (UTF-8 bytes): granted QoS 0 or 1, or 128 when the broker refused it. */
  onSubscribed?(filter: string, granted: number): void;
}

export interface Client {
  /** Starts a connection unless one is open or opening; onConnect or onDisconnect follows. */
  open(): void;
  /** Sends DISCONNECT when connected and ends the socket; onDisconnect("closed") follows. */
  close(): void;
  /**
   * Publishes `payload` (text, sent as UTF-8; binary=true sends its chars as bytes). QoS 1: kept
   * even while disconnected, sent in order within the in-flight window, sent again with DUP after
   * a reconnect until acknowledged; returns its packet id. QoS 0: sent at once, returns 0; or
   * returns -1 when not connected (refused: nothing is sent). Throws on an empty topic, one with
   * + or #, or a QoS other than 0 and 1.
   */
  publish(topic: string, payload: string, qos?: number, retain?: boolean, binary?: boolean): number;
  /**
   * Subscribes `filter` at QoS 0 or 1, now if connected and again after every CONNACK (ThingsBoard
   * forgets subscriptions). Matching messages go to `handler` if given. + and # may each fill a
   * whole level, # only the last; throws otherwise.
   */
  subscribe(filter: string, qos?: number, handler?: MessageHandler): void;
  /** True between CONNACK 0 and the disconnect. */
  connected(): boolean;
}

// A QoS 1 message: packet id and encoded PUBLISH (with DUP set once it has been sent).
interface Outgoing {
  i: number;
  p: string;
}

interface Sub {
  f: string;
  q: number;
  h?: MessageHandler;
}

export function createClient(o: ClientOptions): Client {
  // Constants in here, not at module level: the bundle's top level then has fewer names, and
  // the minifier gives the busiest one letter each.
  // Kinds used more than once, as constants so the minifier shares one string.
  const SOCKET: DisconnectKind = "socket";
  const TIMEOUT: DisconnectKind = "timeout";
  const PROTOCOL: DisconnectKind = "protocol";
  const BROKER_CLOSED = "closed by the broker";
  const ka = o.keepalive ?? 60;
  /** The timer's period while connected: half the keep-alive, in ms. */
  const half = ka * 500;
  const connackMs = o.connackTimeout || 10000;
  const dec = decoder(o.maxPacket || 4096);
  /** The open socket; 0 (or unset) when there is none. */
  let sock: Socket | 0 | undefined;
  // State the first connection sets needs no initial value (0 in the bundle costs bytes).
  /** Down (0, or unset before the first open()), 1 waiting for CONNACK, 2 connected. */
  let st: number;
  /** QoS 1 messages in order; the first `sent` of them were sent on this connection (set at CONNACK). */
  const q: Outgoing[] = [];
  let sent: number;
  let subs: Sub[] = [];
  /** SUBSCRIBEs waiting for their SUBACK: packet id -> filter. (No UNSUBSCRIBE: the firmware never
   *  drops a subscription, and the board pays for every method.) */
  let acks: Record<number, string> = {};
  let lastId = 0;
  /** The CONNACK or keep-alive timer, due on `now`: one that fires early at a clock step waits out the rest. */
  const timer = slot(o.now);
  /** Set by the CONNECT packet, before anything reads it. */
  let lastSend: number;
  /** When the unanswered PINGREQ went out, -1 when none. */
  let pingAt = -1;

  // Arrows with an expression body where the value goes unused: a block costs the bundle braces.
  const emit = (f: ((a: any, b?: any, c?: any) => void) | undefined, a: unknown, b?: unknown, c?: unknown): void =>
    f && f(a, b, c);

  const send = (data: string) => sock && (sock.write(data), (lastSend = o.now()));

  function newId(): number {
    do lastId = (lastId % 65535) + 1;
    while (acks[lastId] || q.some((m) => m.i == lastId));
    return lastId;
  }

  /** Ends the connection once; in-flight QoS 1 messages stay queued for the next open(). `code`
   *  is 0 when left out. */
  function fail(kind: DisconnectKind, why: string, code?: number): void {
    const s = sock;
    if (!st) return;
    sock = st = 0;
    timer();
    dec._reset();
    acks = {};
    pingAt = -1;
    try {
      if (s) s.end();
    } catch (e) {
      // already closed
    }
    emit(o.onDisconnect, kind, why, code! | 0);
  }

  function tick(): void {
    if (st == 1) return fail(TIMEOUT, `no CONNACK in ${connackMs} ms`);
    const now = o.now();
    if (pingAt >= 0) {
      if (now - pingAt >= half * 2) return fail(TIMEOUT, `no PINGRESP in ${ka} s`);
    } else if (now - lastSend >= half) {
      send(idPacket(PINGREQ));
      pingAt = now;
    }
    timer(tick, half);
  }

  /** Sends what the in-flight window allows; after a reconnect, unacknowledged ones go again as DUP. */
  function pump(): void {
    while (st == 2 && sent < q.length && sent < (o.inflight || 5)) {
      const m = q[sent++];
      send(m.p);
      m.p = chr(at(m.p, 0) | 8) + m.p.substr(1);
    }
  }

  /** SUBSCRIBE `f` (bytes). */
  function sendSub(f: string, qos: number): void {
    const id = newId();
    acks[id] = f;
    send(subPacket(SUBSCRIBE, id, f, qos));
  }

  /** A throwing handler must not abort the rest of the chunk nor the PUBACK. */
  function deliver(h: MessageHandler, p: Packet): void {
    try {
      h(p.topic!, p.payload!, p);
    } catch (e) {
      emit(o.log, "mqtt: handler threw " + e);
    }
  }

  function handle(p: Packet): void {
    const t = p.type;
    const id = p.id!;
    const a = acks[id];
    // Declared up front (one declaration statement in the bundle): the CONNACK code, the index of
    // an acknowledged message, whether a PUBLISH found a handler.
    const c = p.code!;
    let i: number;
    let hit: number | undefined;
    if (st == 1) {
      if (t != CONNACK) return unexpected(t);
      // The code's meaning is the caller's to explain (the link knows ThingsBoard's); names cost the board bytes.
      if (c) return fail("refused", "refused with CONNACK " + c, c);
      st = 2;
      // With keep-alive 0 (half 0) this just stops the CONNACK timer.
      timer(tick, half);
      for (const s of subs) sendSub(s.f, s.q);
      sent = 0;
      emit(o.onConnect, !!p.session);
      pump();
    } else if (t == PUBLISH) {
      for (const s of subs) {
        if (s.h && matches(s.f, p.topic!)) {
          hit = 1;
          deliver(s.h, p);
        }
      }
      if (!hit && o.onMessage) deliver(o.onMessage, p);
      if (p.qos) send(idPacket(PUBACK, id));
    } else if (t == PUBACK) {
      i = q.findIndex((m) => m.i == id);
      if (i >= 0 && i < sent) {
        q.splice(i, 1);
        sent--;
        emit(o.onPublished, id);
        pump();
      }
    } else if (t == SUBACK) {
      // A SUBACK for no SUBSCRIBE of this connection is ignored, as before its CONNACK.
      if (a) emit(o.onSubscribed, a, p.granted && p.granted[0]);
      delete acks[id];
    } else if (t == PINGRESP) pingAt = -1;
    else unexpected(t);
  }

  const unexpected = (t: number): void => fail(PROTOCOL, UNEXPECTED + t);

  const forget = (f: string) => (subs = subs.filter((s) => s.f != f));

  return {
    open() {
      if (st) return;
      let s: Socket | undefined;
      const on = (ev: string, f: (a: any) => void) => s!.on(ev, (a) => sock == s && f(a));
      st = 1;
      timer(tick, connackMs);
      try {
        s = o.connect(() => {
          if (sock == s) send(connectPacket(o.clientId, o.username, o.password, o.clean != false, ka));
        });
      } catch (e) {
        // Espruino throws from connect when nothing listens (measured on the Linux build).
        return fail(SOCKET, "" + e);
      }
      sock = s;
      on("data", (d: string) => {
        const err = dec._feed(d, handle);
        if (err) fail(PROTOCOL, err);
      });
      // -30848 is mbedTLS "peer close notify": the broker closed the connection normally.
      on("error", (e: { code: number; message: string }) =>
        fail(SOCKET, e.code == -30848 ? BROKER_CLOSED : "error " + e.code + " " + e.message, e.code));
      on("close", () => fail(SOCKET, BROKER_CLOSED));
    },

    close() {
      if (st == 2) send(idPacket(DISCONNECT));
      fail("closed", "closed by the client");
    },

    publish(topic, payload, qos, retain, binary) {
      if (!topic || /[+#]/.test(topic) || qos! > 1) {
        throw Error("mqtt: bad topic '" + topic + "' or QoS " + qos);
      }
      const id = qos ? newId() : 0;
      const p = publishPacket(utf8(topic), binary ? payload : utf8(payload), qos ? 1 : 0, id, !!retain, false);
      if (!qos) {
        if (st != 2) return -1;
        send(p);
        return 0;
      }
      if (q.length >= (o.queue || 20)) {
        // The oldest goes; if it was in flight, its PUBACK will find nothing.
        if (sent) sent--;
        emit(o.onDropped, q.shift()!.i);
      }
      q.push({ i: id, p: p });
      pump();
      return id;
    },

    subscribe(filter, qos, handler) {
      if (!validFilter(filter)) throw Error(`mqtt: bad filter '${filter}'`);
      const f = utf8(filter);
      forget(f);
      subs.push({ f: f, q: (qos = qos ? 1 : 0), h: handler });
      if (st == 2) sendSub(f, qos);
    },

    connected: () => st == 2,
  };
}
