// Server-side RPC: requests arrive on v1/devices/me/rpc/request/<id> as {"method","params"} and are
// answered on v1/devices/me/rpc/response/<id>. A malformed request (see inbound.ts), an unknown
// method or a handler that throws gets {"error": "..."}, never silence (ThingsBoard would wait for
// its timeout). Handlers get `params` as parsed: they check its type themselves.

import { log, toJson, WARN } from "../log";
import type { Client } from "../mqtt/index";
import { inbound, own } from "./inbound";
import { RPC_REQUEST, RPC_RESPONSE } from "./topics";


export type RpcHandler = (params: any) => unknown;

/** Method name -> handler; its return value is the JSON answer. */
export type RpcTable = { [method: string]: RpcHandler };

/** Answers requests from `handlers`, which stays live: a method added to it later is served too. */
export function startRpc(client: Client, handlers: RpcTable): void {
  client.subscribe(RPC_REQUEST + "+", 1, (topic, payload) => {
    const id = topic.substr(RPC_REQUEST.length);
    let r: any;
    // Put before what is thrown: "request " for a fault of the request (inbound.ts throws what),
    // then nothing, then "<method> failed: " once its handler runs. One try for all.
    let pre = "request ";
    // ThingsBoard's request ids are integers (int32, docs/thingsboard.md §2.1): anything else has no
    // answer to wait for it.
    if (!(id.length < 10 && /^\d+$/.test(id))) return log(WARN, "rpc: bad request id");
    try {
      const req = inbound(payload);
      const m = own(req, "method");
      if (typeof m != "string") throw "needs a method";
      pre = "";
      if (!own(handlers, m)) throw "unknown method " + m;
      pre = m + " failed: ";
      r = handlers[m](own(req, "params"));
      if (r == null) r = {};
    } catch (e) {
      r = { error: pre + e };
    }
    if (r.error) log(WARN, "rpc: " + r.error);
    client.publish(RPC_RESPONSE + id, toJson(r));
  });
}
