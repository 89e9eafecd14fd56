// `npm run sim`: boots a firmware bundle on a virtual board and streams its serial output until Ctrl-C.
// `--engine espruino` runs it on the real interpreter's Linux build (ESPRUINO_BIN); its REPL is then the
// interpreter's own telnet server behind the host's proxy (espruino/repl-proxy.ts), on any port as on
// the node engine.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { unsupportedChip } from "../common/board.ts";
import { espruinoBinary } from "./espruino/native.ts";
import { BOARDS, createBoard, ENGINE_NAMES, isBoardName, type Board, type BoardName, type EngineName } from "./index.ts";
import { startRepl } from "./repl.ts";

const USAGE = `usage: npm run sim -- [--engine node|espruino] [--file dist/firmware.js] [--board esp32|esp32c3|esp32s3]
  [--storage .vboard/<board>] [--ssid NAME] [--password PW] [--time-scale N] [--repl-port N]
  --repl-port serves the console as a TCP REPL on 127.0.0.1 (0: a free port) for npm run flash/monitor;
  on --engine espruino it is the interpreter's own telnet REPL behind a proxy (Ctrl-C interrupts, resets keep the connection)`;

/** The build writes "// ... board=<name>" on the bundle's first line. */
export function boardFromBundle(code: string): BoardName | undefined {
  const first = code.slice(0, code.indexOf("\n") >>> 0);
  const m = /^\/\/.*\bboard=(\S+)/.exec(first);
  return m && isBoardName(m[1]) ? m[1] : undefined;
}

export interface SimArgs {
  engine: EngineName;
  file: string;
  board?: BoardName;
  storage?: string;
  ssid?: string;
  password?: string;
  timeScale: number;
  /** undefined: no REPL; 0: a free port. */
  replPort?: number;
  help: boolean;
}

/** Bad arguments, each one line naming the fix (exit status 2). */
export class SimArgsError extends Error {}

/** Parses and checks the command line (what needs no file); throws a SimArgsError. */
export function parseSimArgs(argv: string[]): SimArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        engine: { type: "string", default: "node" },
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
    throw new SimArgsError(`${(e as Error).message}\n${USAGE}`);
  }
  const engine = values.engine!;
  if (!(ENGINE_NAMES as readonly string[]).includes(engine)) throw new SimArgsError(`--engine must be node or espruino, got "${engine}"`);
  if (values.board !== undefined && !isBoardName(values.board)) {
    const noBuild = unsupportedChip(values.board);
    throw new SimArgsError(noBuild
      ? `--board ${values.board} is not supported: ${noBuild}; use one of ${BOARDS.join(", ")} (README: "Board support")`
      : `--board ${values.board} is not a board: use one of ${BOARDS.join(", ")}`);
  }
  const text = values["repl-port"];
  const replPort = text === undefined ? undefined : Number(text);
  if (replPort !== undefined && !(text!.trim() !== "" && Number.isInteger(replPort) && replPort >= 0 && replPort < 65536)) {
    throw new SimArgsError(`--repl-port must be a TCP port 0-65535 (0: any free one), got "${text}"`);
  }
  const timeScale = Number(values["time-scale"]);
  if (!(timeScale > 0 && Number.isFinite(timeScale))) {
    throw new SimArgsError(`--time-scale must be a positive number, got "${values["time-scale"]}"`);
  }
  return {
    engine: engine as EngineName,
    file: values.file!,
    board: values.board as BoardName | undefined,
    storage: values.storage,
    ssid: values.ssid,
    password: values.password,
    timeScale,
    replPort,
    help: !!values.help,
  };
}

async function main(argv: string[]): Promise<number> {
  let args: SimArgs;
  try {
    args = parseSimArgs(argv);
  } catch (e) {
    if (!(e instanceof SimArgsError)) throw e;
    console.error(e.message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.engine === "espruino") {
    try {
      espruinoBinary();
    } catch (e) {
      console.error(`E sim: ${(e as Error).message}`);
      return 1;
    }
  }
  const file = resolve(args.file);
  const { replPort } = args;
  // With a REPL the board may start empty: the bundle arrives later through npm run flash.
  const replOnly = replPort !== undefined && !existsSync(file);
  if (!replOnly && !existsSync(file)) {
    console.error(`${args.file} not found: run npm run build first (or pass --file)`);
    return 1;
  }
  const code = replOnly ? "" : readFileSync(file, "latin1");
  const board = args.board ?? boardFromBundle(code) ?? "esp32";
  const telnet = args.engine === "espruino" && replPort !== undefined;
  let vb: Board;
  try {
    vb = createBoard({
      engine: args.engine,
      board,
      // Each engine keeps Storage its own way (a file per Storage file; the interpreter's espruino.flash).
      storageDir: resolve(args.storage ?? (args.engine === "node" ? `.vboard/${board}` : `.vboard/${board}-${args.engine}`)),
      ap: { ssid: args.ssid, password: args.password },
      timeScale: args.timeScale,
      telnet,
      echo: true,
    });
  } catch (e) {
    console.error(`E sim: ${(e as Error).message}`);
    return 1;
  }
  const on = args.engine === "espruino" ? "the real interpreter (engine espruino)" : "engine node";
  console.error(`[sim] ${replOnly ? "Storage as it is" : args.file} on a virtual ${board}, ${on}; Ctrl-C to stop`);
  if (!replOnly) vb.flash(code);
  vb.boot();
  let repl;
  try {
    repl = replPort === undefined ? undefined : await startRepl(vb, { port: replPort });
  } catch (e) {
    const message = (e as Error).message;
    console.error(/EADDRINUSE/.test(message)
      ? `E sim: --repl-port ${replPort} is in use on 127.0.0.1: pass another --repl-port (0: a free one)`
      : `E sim: ${message}`);
    await vb.stop();
    return 1;
  }
  if (repl) {
    const what = vb.engine === "espruino" ? "the interpreter's own telnet REPL (the log moves there while a client is attached)" : "TCP";
    console.error(`[sim] REPL on ${repl.url}, ${what}: npm run flash -- --port ${repl.url}`);
  }
  await new Promise<void>((r) => {
    process.once("SIGINT", () => r());
    process.once("SIGTERM", () => r());
  });
  await repl?.close();
  await vb.stop();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
