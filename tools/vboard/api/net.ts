// require("net") and require("tls"): the socket adapter (../sockets.ts) wired to this program, so
// its callbacks run as the program's and its sockets close when the program stops.
import { espruinoSocketModule, type EspruinoSocket, type SocketEnv } from "../sockets.ts";
import type { ProgramHost } from "./host.ts";

export function socketModule(p: ProgramHost, name: "net" | "tls", sockets: Set<EspruinoSocket>): unknown {
  const env: SocketEnv = {
    ...p.s.socketEnv,
    print: (l) => p.print(l),
    invoke: (fn, args) => p.invoke(fn, args),
    uncaught: (e) => p.uncaught(e),
    makeError: (type, msg) => p.makeError(type, msg),
    readFile: (n) => p.s.storage.read(n),
    link: p.s.station,
    heap: p.s.heap,
    track: (x) => p.alive ? sockets.add(x) : x.destroy(),
    untrack: (x) => sockets.delete(x),
  };
  return espruinoSocketModule(name, env);
}
