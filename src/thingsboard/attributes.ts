// Attributes: on every connect publish the client attributes a fleet operator wants to see, and
// ask for the shared ones the firmware uses; apply shared updates as they are pushed.

import { logW } from "../log";
import type { Client } from "../mqtt/index";
import { ATTRIBUTES as TOPIC } from "./topics";


export interface AttributesOptions {
  /** The client attributes, gathered at each connect. */
  info(): object;
  /** Comma-separated shared keys to request at connect. */
  sharedKeys: string;
  /** Gets each shared attribute object (update or request response). */
  apply(shared: { [key: string]: unknown }): void;
}

export interface Attributes {
  /** Call after CONNACK. */
  connected(): void;
}

export function startAttributes(client: Client, o: AttributesOptions): Attributes {
  function parse(payload: string, pick: string): void {
    let a: any;
    try {
      a = JSON.parse(payload);
    } catch (e) {
      logW("attributes", "shared update is not JSON");
      return;
    }
    if (pick) a = a && a[pick];
    if (a && typeof a == "object") o.apply(a);
  }
  client.subscribe(TOPIC, 1, (t, p) => parse(p, ""));
  client.subscribe(TOPIC + "/response/+", 1, (t, p) => parse(p, "shared"));
  return {
    connected: () => {
      client.publish(TOPIC, JSON.stringify(o.info()), 0);
      client.publish(TOPIC + "/request/1", JSON.stringify({ sharedKeys: o.sharedKeys }), 0);
    },
  };
}
