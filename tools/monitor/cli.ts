// npm run monitor -- --port PORT [--baud 115200] [--board esp32c3] [--timestamps]: the board's serial
// log and its REPL, with idf.py monitor's keys (tools/serial/terminal.ts): Ctrl-] leaves, Ctrl-C
// goes to the board, Ctrl-T opens the menu; Ctrl-T F runs npm run flash with --config and --file.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BOARDS, isBoardName, loadBoard, ToolError } from "../common/index.ts";
import { unsupportedChip } from "../common/board.ts";
import { checkSerialPort, isTcpPort, listSerialPorts, noPortError } from "../serial/ports.ts";
import { monitorPort } from "../serial/terminal.ts";
import { runFlash } from "../flash/reflash.ts";

const USAGE = "usage: npm run monitor -- --port /dev/ttyUSB0|/dev/ttyACM0|tcp://host:port [--baud 115200] [--board esp32|esp32c3|esp32s3]\n" +
  "       [--timestamps] [--config device.config.json] [--file dist/firmware.js] (the last two for Ctrl-T F, build and flash)";

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      port: { type: "string", short: "p" },
      baud: { type: "string", short: "b" },
      board: { type: "string" },
      timestamps: { type: "boolean", default: false },
      config: { type: "string" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
    } }));
  } catch (e) {
    console.error(`E monitor: ${(e as Error).message}: ${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const boardName = values.board ?? "esp32";
  if (!isBoardName(boardName)) {
    const noBuild = unsupportedChip(boardName);
    console.error(noBuild
      ? `E monitor: --board ${boardName} is not supported: ${noBuild}; use one of ${BOARDS.join(", ")} (README: "Board support")`
      : `E monitor: --board ${boardName} is not a board: use one of ${BOARDS.join(", ")}`);
    return 2;
  }
  const board = loadBoard(boardName);
  const baud = values.baud === undefined ? board.device.baud : Number(values.baud);
  if (!Number.isInteger(baud) || baud <= 0) {
    console.error(`E monitor: --baud ${values.baud} is not a baud rate: use e.g. --baud 115200`);
    return 2;
  }
  try {
    const port = values.port;
    if (!port) throw noPortError("monitor", await listSerialPorts(), board);
    if (!isTcpPort(port)) {
      // Without --board the chip is unknown: the port is still checked (it throws when unusable),
      // but a mismatch with the default board is no reason to warn.
      const warnings = checkSerialPort("monitor", port, board);
      if (values.board) for (const w of warnings) console.error(w);
    }
    // Flash gets only what the user gave: it takes the board and baud from the config otherwise.
    const flash = (signal: AbortSignal) => runFlash({ port, board: values.board, baud: values.baud === undefined ? undefined : baud,
      config: values.config, file: values.file }, signal);
    return await monitorPort(port, baud, { timestamps: values.timestamps, flash });
  } catch (e) {
    if (e instanceof ToolError) {
      console.error(e.message);
      return e.exitCode;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
