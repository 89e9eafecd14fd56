// The live page's server in a process of its own, as in `npm start`, so a test can kill it the way a
// stopped demo dies (no goodbye to open pages). A real endpoint behind it, no device connected.
// Usage: node --import tsx test/helpers/page-server-process.ts PORT; prints the page's URL, then serves until killed.
import { DeviceView } from "../../tools/demo/device-view.ts";
import { startPageServer } from "../../tools/demo/page-server.ts";
import { TbEndpoint } from "../../tools/tb-endpoint/index.ts";

const endpoint = await TbEndpoint.start({ devices: [{ name: "page-dev", token: "PAGE_TEST_TOKEN_1" }], tcp: { port: 0 }, http: false });
const view = new DeviceView({ endpoint, deviceName: "page-dev", statusEveryMs: 0, rpcTimeoutMs: 1000 });
const page = await startPageServer({ view, keys: ["temperature", "humidity"], info: { board: "esp32" }, port: Number(process.argv[2] ?? 0) });
process.stdout.write(`${page.url}\n`);
