// Runs the local ThingsBoard-compatible endpoint for users without a ThingsBoard server:
//   tsx tools/tb-endpoint/cli.ts --devices devices.json --cert certs/server.pem --key certs/server_key.pem
import { parseArgs } from "node:util";
import { loadDevicesFile, TbEndpoint } from "./index.ts";

const USAGE = `usage: tsx tools/tb-endpoint/cli.ts --devices FILE [--cert PEM --key PEM] [--tls-port 8883]
       [--tcp-port 1883] [--http-port 8080 | --no-http] [--host 127.0.0.1] [--idle-timeout-ms 600000] [--quiet]
  FILE is JSON: [{"name": "my-device", "token": "ACCESS_TOKEN"}]. TLS needs --cert and --key
  (create them with \`npm run certs\`); without them only plain TCP is served (--tcp-port, default 1883).`;

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number 0-65535, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: "string" }, cert: { type: "string" }, key: { type: "string" },
      "tls-port": { type: "string" }, "tcp-port": { type: "string" }, "http-port": { type: "string" },
      "no-http": { type: "boolean" }, host: { type: "string" }, "idle-timeout-ms": { type: "string" },
      quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (!values.devices) throw new Error("--devices FILE is required");
  if (Boolean(values.cert) !== Boolean(values.key)) throw new Error("TLS needs both --cert and --key");
  const tls = values.cert && values.key ? { certPath: values.cert, keyPath: values.key, port: port(values["tls-port"], "--tls-port", 8883) } : undefined;
  const tcp = values["tcp-port"] !== undefined || !tls ? { port: port(values["tcp-port"], "--tcp-port", 1883) } : undefined;
  const idle = values["idle-timeout-ms"];
  if (idle !== undefined && !/^\d+$/.test(idle)) throw new Error(`--idle-timeout-ms must be a whole number of ms, got "${idle}"`);
  const endpoint = await TbEndpoint.start({
    devices: loadDevicesFile(values.devices),
    tls, tcp,
    host: values.host,
    http: values["no-http"] ? false : { port: port(values["http-port"], "--http-port", 8080) },
    idleTimeoutMs: idle === undefined ? undefined : Number(idle),
    log: values.quiet ? () => {} : (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  endpoint.on("telemetry", (name: string, entries: Array<{ ts: number; values: Record<string, unknown> }>) => {
    if (!values.quiet) for (const e of entries) console.log(`${new Date(e.ts).toISOString()} ${name} telemetry ${JSON.stringify(e.values)}`);
  });
  const stop = (): void => {
    endpoint.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(`tb-endpoint: ${e instanceof Error ? e.message : e}`);
  console.error(USAGE);
  process.exit(2);
});
