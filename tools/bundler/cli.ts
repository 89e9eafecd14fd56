// npm run build [-- --config FILE] [--out FILE] [--verbose]
import { parseArgs } from "node:util";
import { progress } from "../common/index.ts";
import { BuildError, buildFirmware } from "./build.ts";
import { CertError } from "./cert.ts";
import { ConfigError } from "./config.ts";

const USAGE = "usage: npm run build [-- --config device.config.json] [--out dist/firmware.js] [--verbose]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: "string" }, out: { type: "string" }, verbose: { type: "boolean", short: "v" }, help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`E build: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  // 6-11 s of work: on a terminal, the phase it is in (stderr, cleared before the result lines).
  const bar = progress("build");
  try {
    const r = await buildFirmware({ configFile: values.config, outFile: values.out, onPhase: (what) => bar.update(what) });
    bar.done();
    for (const w of r.warnings) console.log(w);
    if (values.verbose) {
      // What the minifier shortened, and why each other member name src/ declares kept its spelling.
      console.log(`I build: renamed properties: ${r.renamed.names.join(" ") || "none"} (and the "_" names)`);
      for (const [name, why] of [...r.renamed.kept].sort()) console.log(`I build: kept property ${name}: ${why}`);
    }
    console.log(`I build: ${r.sizeLine}`);
    return 0;
  } catch (e) {
    bar.done();
    // Config, certificate, type, gate and size problems come as ready-made lines; anything else is
    // shown as one line too (rollup and file-system errors carry their own cause).
    const known = e instanceof ConfigError || e instanceof CertError || e instanceof BuildError;
    console.error(known ? (e as Error).message : `E build: ${(e as Error).message}`);
    return 1;
  }
}

process.exitCode = await main();
