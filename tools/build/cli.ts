// npm run build [-- --config FILE] [--out FILE]
import { parseArgs } from "node:util";
import { BuildError, buildFirmware } from "./build.ts";
import { CertError } from "./cert.ts";
import { ConfigError } from "./config.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { config: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("usage: npm run build [-- --config device.config.json] [--out dist/firmware.js]");
    return 0;
  }
  try {
    const r = await buildFirmware({ configFile: values.config, outFile: values.out });
    for (const w of r.warnings) console.log(w);
    console.log(`I build: ${r.sizeLine}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof CertError || e instanceof BuildError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main();
