// Attributes: on every connect publish the client attributes a fleet operator wants to see, and
// ask for the shared one the firmware uses (the telemetry interval); apply it whenever it comes,
// pushed as an update or in the response to that request.

import { log, toJson, WARN } from "../log";
import type { Client, MessageHandler } from "../mqtt/index";
import { inbound, isObj, own } from "./inbound";
import type { Obj } from "./inbound";
import { ATTRIBUTES as TOPIC, INTERVAL_KEY } from "./topics";

/** @json The client attributes published at each connect. */
export interface ClientAttributes {
  firmwareVersion: string;
  /** The chip key of board/<chip>.json. */
  board: string;
  espruinoVersion: string;
  ip: string;
  /** The board's serial number, also the MQTT client id. */
  serial: string;
  /** Readings dropped so far because the queue was full. */
  droppedReadings: number;
  /** The sensor's part ("SHT3x"), and the readings it did not answer and the bad ones dropped (CRC)
   *  so far; telemetry publishes the counts again when they change. */
  sensor: string;
  sensorErrors: number;
  sensorBadReadings: number;
}

/**
 * Subscribes to the shared attributes: `onInterval` gets the value of each shared INTERVAL_KEY that
 * arrives (pushed update or request response), as sent: it checks the value itself; `onShared`, when
 * given, every shared object that arrives. A message that
 * is not a JSON object (inbound.ts) is logged and dropped. After every CONNACK, publishAttributes.
 */
export function startAttributes(client: Client, onInterval: (ms: unknown, from: string) => unknown,
  onShared?: (shared: Obj) => void): void {
  // One handler for both topics: a response (on TOPIC/response/<id>) has the shared attributes
  // under "shared" (left out when there are none), an update has them at the top.
  const take: MessageHandler = (topic, payload) => {
    const response = topic != TOPIC;
    let a: unknown;
    try {
      a = inbound(payload);
      if (response && (a = own(a as Obj, "shared")) !== undefined && !isObj(a)) throw "has shared not an object";
    } catch (e) {
      return log(WARN, "attributes: " + (response ? "response " : "update ") + e);
    }
    // Outside the try: what onInterval throws is the MQTT client's to report.
    if (a && onShared) onShared(a as Obj);
    if (a && (a = own(a as Obj, INTERVAL_KEY)) !== undefined) onInterval(a, "shared attribute");
  };
  client.subscribe(TOPIC, 1, take);
  client.subscribe(TOPIC + "/response/+", 1, take);
}

/** Publishes the client attributes `info` and asks for the shared ones the firmware uses (`sharedKeys`,
 *  comma-separated): after every CONNACK (ThingsBoard keeps nothing of a session). */
export function publishAttributes(client: Client, info: ClientAttributes, sharedKeys: string): void {
  // QoS 0 (no qos argument).
  client.publish(TOPIC, toJson(info));
  client.publish(TOPIC + "/request/1", toJson({ sharedKeys: sharedKeys }));
}
