// Attributes: on every connect publish the client attributes a fleet operator wants to see, and
// ask for the shared ones the firmware uses; apply shared updates as they are pushed.

import { fromJson, logW, toJson } from "../log";
import type { Client } from "../mqtt/index";
import { ATTRIBUTES as TOPIC, INTERVAL_KEY } from "./topics";


/**
 * `info` gathers the client attributes at each connect; `apply` gets each shared attribute object
 * (pushed update or request response). Call the returned function after every CONNACK.
 */
export function startAttributes(client: Client, info: () => object, apply: (shared: { [key: string]: unknown }) => void): () => void {
  function parse(payload: string, pick: string): void {
    let a: any;
    try {
      a = fromJson(payload);
    } catch (e) {
      logW("attributes", "update is not JSON");
      return;
    }
    if (pick) a = a && a[pick];
    if (a && typeof a == "object") apply(a);
  }
  client.subscribe(TOPIC, 1, (t, p) => parse(p, ""));
  client.subscribe(TOPIC + "/response/+", 1, (t, p) => parse(p, "shared"));
  return () => {
    client.publish(TOPIC, toJson(info()), 0);
    // The shared attributes the firmware uses (comma-separated).
    client.publish(TOPIC + "/request/1", toJson({ sharedKeys: INTERVAL_KEY }), 0);
  };
}
