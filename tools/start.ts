// npm start: the main job on an embedded default, with no board and no server needed.
// Uses device.config.json, or the committed example when there is none; makes a throw-away
// certificate when the configured one is missing and the host is this machine; builds; and boots
// the bundle on a virtual board whose access point matches the configuration.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./build/board.ts";
import { BuildError, buildFirmware } from "./build/build.ts";
import { CertError } from "./build/cert.ts";
import { ConfigError, DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG_FILE, loadDeviceConfig } from "./build/config.ts";
import { generateSelfSigned } from "./certs/generate.ts";
import { VirtualBoard } from "./vboard/index.ts";

const LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1"];

function say(msg: string): void {
  console.log(`I start: ${msg}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string" },
      "time-scale": { type: "string" },
      storage: { type: "string" },
    },
  });
  const userConfig = join(ROOT, DEFAULT_CONFIG_FILE);
  const configFile = process.env.TB_CONFIG ?? (existsSync(userConfig) ? userConfig : join(ROOT, EXAMPLE_CONFIG_FILE));
  say(`configuration: ${configFile}${configFile.endsWith(EXAMPLE_CONFIG_FILE) ? ` (copy it to ${DEFAULT_CONFIG_FILE} to make your own)` : ""}`);

  let result;
  try {
    const { config } = loadDeviceConfig({ file: configFile });
    if (!existsSync(config.serverCert) && LOCAL_HOSTS.includes(config.host)) {
      generateSelfSigned({ host: config.host, outDir: dirname(config.serverCert), certName: basename(config.serverCert) });
      say(`made a throw-away RSA-2048 certificate for ${config.host}: ${config.serverCert}`);
    }
    result = await buildFirmware({ configFile });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof CertError || e instanceof BuildError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  for (const w of result.warnings) console.log(w);
  console.log(`I build: ${result.sizeLine}`);

  const c = result.config;
  const board = new VirtualBoard({
    board: c.board,
    storageDir: values.storage ?? join(ROOT, ".vboard", c.board),
    ap: { ssid: c.wifiSsid, password: c.wifiPassword },
    timeScale: values["time-scale"] ? Number(values["time-scale"]) : 1,
    echo: true,
  });
  say(`booting ${result.outFile} on a virtual ${c.board} (access point "${c.wifiSsid}"); Ctrl-C stops`);
  board.flash(result.code);
  board.boot();

  const seconds = values.seconds ? Number(values.seconds) : 0;
  await new Promise<void>((resolve) => {
    if (seconds > 0) setTimeout(resolve, seconds * 1000);
    process.once("SIGINT", () => resolve());
  });
  await board.stop();
  return 0;
}

process.exitCode = await main();
