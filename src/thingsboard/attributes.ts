// Attributes: on every connect publish the client attributes a fleet operator wants to see, and
// ask for the shared ones the firmware uses; apply shared updates as they are pushed.

import { logW, toJson } from "../log";
import type { Client } from "../mqtt/index";
import { inbound, isObj, own } from "./inbound";
import type { Obj } from "./inbound";
import { ATTRIBUTES as TOPIC, INTERVAL_KEY } from "./topics";


/**
 * `info` gathers the client attributes at each connect; `apply` gets each shared attribute object
 * (pushed update or request response), whose values it checks itself. A message that is not a
 * JSON object (inbound.ts) is logged and dropped. Call the returned function after every CONNACK.
 */
export function startAttributes(client: Client, info: () => object, apply: (shared: Obj) => void): () => void {
  /** `what` is "update" or "response"; a response has the shared attributes under "shared" (left
   *  out when there are none). */
  function take(payload: string, what: string): void {
    let a: unknown = inbound(payload);
    if (typeof a != "string" && what == "response") {
      a = own(a as Obj, "shared");
      if (a !== undefined && !isObj(a)) a = "has shared not an object";
    }
    if (typeof a == "string") logW("attributes", what + " " + a);
    else if (a) apply(a as Obj);
  }
  client.subscribe(TOPIC, 1, (t, p) => take(p, "update"));
  client.subscribe(TOPIC + "/response/+", 1, (t, p) => take(p, "response"));
  return () => {
    client.publish(TOPIC, toJson(info()), 0);
    // The shared attributes the firmware uses (comma-separated).
    client.publish(TOPIC + "/request/1", toJson({ sharedKeys: INTERVAL_KEY }), 0);
  };
}
