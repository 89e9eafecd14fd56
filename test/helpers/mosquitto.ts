// A real mosquitto broker for tests: TLS listener on a free loopback port (RSA certificate from
// tools/certs/generate.ts), a password file, no anonymous access unless asked; stopped by its PID.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { generateSelfSigned } from "../../tools/certs/generate.ts";
import { freePort } from "./net.ts";

export interface Broker {
  port: number;
  /** mqtts://127.0.0.1:port, or mqtt:// for a `plain` broker. */
  url: string;
  /** The server certificate (PEM), for clients that want to pin it. */
  certPath: string;
  /** Stops the broker with `signal` (SIGTERM saves the persistence file, SIGKILL does not). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same state directory. */
  start(): Promise<void>;
  pid(): number | undefined;
  /** Stops and removes the directory. */
  close(): Promise<void>;
}

async function waitListening(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; Date.now() < until && i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, "127.0.0.1");
      c.once("connect", () => { c.destroy(); resolve(true); });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

export interface BrokerOptions {
  /** Accept clients without credentials, as ThingsBoard-like devices (token, no password) need. */
  anonymous?: boolean;
  /** The name the server certificate is for; default 127.0.0.1. */
  certHost?: string;
  /** More mosquitto.conf lines. */
  config?: string[];
  /** A plain MQTT listener (no TLS), as ThingsBoard's port 1883. */
  plain?: boolean;
}

/** Debian installs the broker in /usr/sbin, which a non-login PATH may lack. */
function mosquittoBinary(): string {
  const found = (process.env.PATH ?? "").split(delimiter).concat("/usr/sbin", "/usr/local/sbin")
    .map((d) => join(d, "mosquitto")).find((f) => existsSync(f));
  if (!found) throw new Error("mosquitto is not installed: apt-get install -y mosquitto (npm test does it as root)");
  return found;
}

/** Starts mosquitto; `users` maps user name to password. */
export async function startMosquitto(users: Record<string, string>, o: BrokerOptions = {}): Promise<Broker> {
  const mosquitto = mosquittoBinary();
  const dir = mkdtempSync(join(tmpdir(), "mqtt-broker-"));
  const { certPath, keyPath } = generateSelfSigned({ host: o.certHost ?? "127.0.0.1", outDir: dir, keyType: "rsa", days: 2 });
  const pwFile = join(dir, "passwd");
  writeFileSync(pwFile, "");
  for (const [user, pass] of Object.entries(users)) execFileSync("mosquitto_passwd", ["-b", pwFile, user, pass], { stdio: "pipe" });
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, [
    // As root mosquitto drops to user "mosquitto", which cannot read our private temp directory.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    "per_listener_settings false",
    // A password file would refuse any user name not in it, so anonymous brokers have none.
    ...(o.anonymous ? ["allow_anonymous true"] : ["allow_anonymous false", `password_file ${pwFile}`]),
    ...(o.config ?? []),
    "persistence true",
    `persistence_location ${dir}/`,
    "log_dest stderr",
    "log_type error",
    `listener ${port} 127.0.0.1`,
    ...(o.plain ? [] : [`certfile ${certPath}`, `keyfile ${keyPath}`]),
    "",
  ].join("\n"));
  let child: ChildProcess | undefined;
  let log = "";

  async function start(): Promise<void> {
    const c = spawn(mosquitto, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    c.stderr!.on("data", (d) => (log = (log + d).slice(-2000)));
    child = c;
    const exited = new Promise<never>((_, reject) =>
      c.once("exit", (code) => reject(new Error(`mosquitto exited with ${code}: ${log.trim()}`))));
    await Promise.race([waitListening(port, 5000), exited]);
  }

  async function stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill(signal);
    const t = setTimeout(() => c.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(t);
  }

  await start();
  return {
    port, url: `${o.plain ? "mqtt" : "mqtts"}://127.0.0.1:${port}`, certPath, stop, start,
    pid: () => child?.pid,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Watcher {
  client: MqttClient;
  /** Every message, in order; payloads as binary strings (the bytes as sent). */
  seen: Array<{ topic: string; payload: string }>;
}

/** An MQTT.js client (id "watcher") subscribed at QoS 1 to `filter` on `broker`, recording what it
 *  receives; resolves once the subscription is granted. `o` adds or overrides client options. */
export function watchBroker(broker: Broker, filter: string, o: IClientOptions = {}): Promise<Watcher> {
  const client = mqtt.connect(broker.url, { rejectUnauthorized: false, reconnectPeriod: 200, clientId: "watcher", ...o });
  const w: Watcher = { client, seen: [] };
  client.on("message", (topic, payload) => w.seen.push({ topic, payload: payload.toString("latin1") }));
  return new Promise((resolve, reject) => {
    client.once("connect", () => client.subscribe(filter, { qos: 1 }, (e) => (e ? reject(e) : resolve(w))));
  });
}
