// `npm run sim`: boots a firmware bundle on a virtual board and streams its serial output until Ctrl-C.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BOARDS, isBoardName, VirtualBoard, type BoardName } from "./index.ts";
import { startRepl } from "./repl.ts";

const USAGE = `usage: npm run sim -- [--file dist/firmware.js] [--board esp32|esp32c3|esp32s3]
  [--storage .vboard/<board>] [--ssid NAME] [--password PW] [--time-scale N] [--repl-port N]
  --repl-port serves the console as a TCP REPL on 127.0.0.1 (0: a free port) for npm run flash/monitor`;

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
        "repl-port": { type: "string" },
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
  const replPort = values["repl-port"] === undefined ? undefined : Number(values["repl-port"]);
  if (replPort !== undefined && !(Number.isInteger(replPort) && replPort >= 0 && replPort < 65536)) {
    console.error(`--repl-port must be a TCP port 0-65535 (0: any free one), got "${values["repl-port"]}"`);
    return 2;
  }
  // With a REPL the board may start empty: the bundle arrives later through npm run flash.
  const replOnly = replPort !== undefined && !existsSync(file);
  if (!replOnly && !existsSync(file)) {
    console.error(`${values.file} not found: run npm run build first (or pass --file)`);
    return 1;
  }
  const code = replOnly ? "" : readFileSync(file, "latin1");
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
  console.error(`[sim] ${replOnly ? "Storage as it is" : values.file} on a virtual ${board}; Ctrl-C to stop`);
  if (!replOnly) vb.flash(code);
  vb.boot();
  const repl = replPort === undefined ? undefined : await startRepl(vb, { port: replPort });
  if (repl) console.error(`[sim] REPL on ${repl.url}: npm run flash -- --port ${repl.url}`);
  await new Promise<void>((r) => process.once("SIGINT", () => r()));
  await repl?.close();
  await vb.stop();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
