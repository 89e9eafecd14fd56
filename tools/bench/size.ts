// `npm run bench -- size`: the firmware bundle's minified bytes per source module, so trimming goes
// where the bytes are. Builds like `npm run build` (TB_CONFIG or device.config.json, else the example
// config) and attributes each output byte to the source module its source-map segment points at.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { rollup } from "rollup";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { firmwareRollupOptions } from "../../rollup.config.js";
import { buildFirmware, toFirmwareConfig } from "../bundler/build.ts";
import { ROOT } from "../common/index.ts";
import { checkServerCert } from "../bundler/cert.ts";
import { DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG_FILE } from "../bundler/config.ts";

/** Minified bytes per source (module path, or "(config)" for the embedded settings and certificate);
 *  `renamed` is the build's (BuildResult.renamed.regex). */
export async function bundleBytesBySource(firmwareConfig: object, renamed: RegExp): Promise<Map<string, number>> {
  const opts = firmwareRollupOptions({ firmwareConfig, preamble: "", renamed });
  const bundle = await rollup(opts.input);
  try {
    const { output } = await bundle.generate(opts.output);
    const { code, map } = output[0];
    const tm = new TraceMap(map as never);
    const bytes = new Map<string, number>();
    const add = (k: string, n: number) => bytes.set(k, (bytes.get(k) ?? 0) + n);
    code.split("\n").forEach((line, li) => {
      // Each byte belongs to the last mapped position at or before it on its line.
      let owner = "(config, certificate, wrapper)";
      let from = 0;
      for (let col = 0; col <= line.length; col++) {
        const pos = col < line.length ? originalPositionFor(tm, { line: li + 1, column: col }) : null;
        const src = pos && pos.source ? label(pos.source) : owner;
        if (src !== owner || col == line.length) {
          add(owner, col - from);
          owner = src;
          from = col;
        }
      }
      add(owner, 1); // the newline
    });
    return bytes;
  } finally {
    await bundle.close();
  }
}

function label(source: string): string {
  if (source.includes("device-config")) return "(config)";
  return relative(ROOT, source.startsWith("/") ? source : join(ROOT, source)).replace(/^(\.\.\/)+/, "");
}

export async function runSizeBench(print: (line: string) => void): Promise<void> {
  const configFile = process.env.TB_CONFIG ?? (existsSync(join(ROOT, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : EXAMPLE_CONFIG_FILE);
  const dir = mkdtempSync(join(tmpdir(), "tb-size-"));
  try {
    // The real build first: same gate and figure as `npm run build`, without touching dist/.
    const fw = await buildFirmware({ configFile: join(ROOT, configFile), outFile: join(dir, "firmware.js") });
    const cert = checkServerCert({ path: fw.config.serverCert, host: fw.config.host, skipCnCheck: fw.config.skipCnCheck });
    const bytes = await bundleBytesBySource(toFirmwareConfig(fw.config, cert.derBase64, fw.board), fw.renamed.regex);
    const rows = [...bytes].sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((s, r) => s + r[1], 0);
    print(`${configFile}: ${fw.bytes} bytes for ${fw.config.board} (budget ${fw.budget})`);
    for (const [src, n] of rows) print(`${String(n).padStart(6)}  ${src}`);
    print(`${String(total).padStart(6)}  total (without the preamble line)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
