// MQTT 3.1.1 client for Espruino sockets: the API the firmware uses.
//
//   const c = createClient({ connect: (cb) => require("tls").connect({ host, port, ca }, cb),
//     now: Date.now,
//     clientId: "dev1", username: token,
//     onConnect: () => c.publish("v1/devices/me/telemetry", '{"t":21}', 1),
//     onDisconnect: (kind, why) => setTimeout(() => c.open(), 5000) });
//   c.open();
//
// Topics, filters and payloads are byte strings both ways (client.ts); utf8() turns text into them.
// The codec is importable on its own: ./encode (packet generators), ./decode (streaming parser of
// broker packets); host code has a parser of client packets and a generic encoder in tools/mqtt/.
export { createClient } from "./client.js";
export type { Client, ClientOptions, DisconnectKind, MessageHandler, Socket } from "./client.js";
export type { Packet, Subscription } from "./packet.js";
export { matches, validFilter } from "./topic.js";
export { utf8 } from "./utf8.js";
