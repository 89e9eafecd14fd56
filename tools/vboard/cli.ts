// `npm run sim`: boots a firmware bundle on a virtual board and streams its serial output until Ctrl-C.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BOARDS, isBoardName, VirtualBoard, type BoardName } from "./index.ts";

const USAGE = `usage: npm run sim -- [--file dist/firmware.js] [--board esp32|esp32c3|esp32s3]
  [--storage .vboard/<board>] [--ssid NAME] [--password PW] [--time-scale N]`;

/** The build writes "// ... board=<name>" on the bundle's first line. */
export function boardFromBundle(code: string): BoardName | undefined {
  const first = code.slice(0, code.indexOf("\n") >>> 0);
  const m = /^\/\/.*\bboard=(\S+)/.exec(first);
  return m && isBoardName(m[1]) ? m[1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: "string", default: "dist/firmware.js" },
        board: { type: "string" },
        storage: { type: "string" },
        ssid: { type: "string" },
        password: { type: "string" },
        "time-scale": { type: "string", default: "1" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = resolve(values.file!);
  if (!existsSync(file)) {
    console.error(`${values.file} not found: run npm run build first (or pass --file)`);
    return 1;
  }
  const code = readFileSync(file, "latin1");
  const board: string = values.board ?? boardFromBundle(code) ?? "esp32";
  if (!isBoardName(board)) {
    console.error(`--board ${board} is not a board: use ${BOARDS.join(", ")}`);
    return 2;
  }
  const timeScale = Number(values["time-scale"]);
  if (!(timeScale > 0)) {
    console.error(`--time-scale must be a positive number, got "${values["time-scale"]}"`);
    return 2;
  }
  const vb = new VirtualBoard({
    board,
    storageDir: resolve(values.storage ?? `.vboard/${board}`),
    ap: { ssid: values.ssid, password: values.password },
    timeScale,
    echo: true,
  });
  console.error(`[sim] ${values.file} on a virtual ${board}; Ctrl-C to stop`);
  vb.flash(code);
  vb.boot();
  await new Promise<void>((r) => process.once("SIGINT", () => r()));
  await vb.stop();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
