// npm run flash -- --port PORT [--board B] [--baud N] [--monitor] [--forget-token] [--install-espruino PATH]
// Builds when stale, uploads with the espruino CLI into Storage, and succeeds only when the board
// then answers that `.bootcde` holds the bundle. A config with "ota": true also gives the board its
// update key (.tbkey, made beside the config when missing; docs/ota.md §1-2); --forget-token erases the
// provisioned token (.tbtoken). Every failure is one `E flash:` line with its fix; an interpreter that
// leaves TLS too little native heap is one `W flash:` line (heap.ts), and it still uploads.
// Espruino's Linux build (BOARD "LINUX") is taken for any chip, with one W line (linux.ts).
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BOARDS, fail, isBoardName, loadBoard, ROOT, ToolError, type BoardName } from "../common/index.ts";
import { unsupportedChip } from "../common/board.ts";
import { ConfigError, loadDeviceConfig } from "../bundler/config.ts";
import { openLink } from "../serial/link.ts";
import { monitorPort } from "../serial/terminal.ts";
import { ask, sample } from "./ask.ts";
import { checkBundle, prepareBundle } from "./bundle.ts";
import { heapWarning, interpreterAdvice, parseSplit, releaseWarning, SPLIT_PROBE } from "./heap.ts";
import { planInstall, writeRelease } from "./install.ts";
import { runFlash } from "./reflash.ts";
import { LINUX_BOARD, linuxStorageFiles, linuxWarning, stageStorageFiles } from "./linux.ts";
import { checkSerialPort, checkTcpAddress, isTcpPort, listSerialPorts, noPortError } from "../serial/ports.ts";
import { upload } from "./upload.ts";
import { KEY_FILE, KEY_LENGTH, TOKEN_FILE, writeSecrets } from "./secrets.ts";
import { ensureKey, type OtaKey } from "../ota/key.ts";

const INSTALL_BAUD = 460800;

const USAGE = `usage: npm run flash -- --port PORT [--board esp32|esp32c3|esp32s3] [--baud 115200] [--monitor]
       [--file dist/firmware.js] [--config device.config.json] [--forget-token]
       [--install-espruino espruino_2v29_<chip>.tgz [--print-esptool]]
  PORT: /dev/ttyUSB0 (ESP32), /dev/ttyACM0 (ESP32-C3/S3), or tcp://host:port; Espruino's Linux build
        (espruino-linux-x64 --telnet) is a development target at tcp://127.0.0.1:2323
  A config with "ota": true also writes the update key to the board's Storage .tbkey; the key is the file
  beside the config (device.config.json -> device.config.ota-key), made when missing; npm run ota signs with it
  --forget-token erases Storage .tbtoken, the token the board got by provisioning, so it provisions again:
  with --file or --config in the same upload, otherwise alone (nothing is built or uploaded; the firmware restarts)
  --install-espruino writes the interpreter through the ESP ROM bootloader of a serial port, not tcp://
  (at --baud, default ${INSTALL_BAUD}); --print-esptool prints the equivalent esptool command instead (--port optional)
  The interpreter that leaves enough native heap for TLS (board/<chip>.json device.variants):
${BOARDS.map((b) => "    " + interpreterAdvice(loadBoard(b))).join("\n")}`;

interface Options {
  port?: string;
  board?: BoardName;
  baud?: number;
  monitor: boolean;
  file: string;
  config?: string;
  install?: string;
  printEsptool: boolean;
  forgetToken: boolean;
  /** --file or --config was given: a bundle is asked for even with --forget-token. */
  bundleAsked: boolean;
}

function parse(argv: string[]): Options | number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      port: { type: "string", short: "p" },
      board: { type: "string" },
      baud: { type: "string", short: "b" },
      monitor: { type: "boolean", default: false },
      file: { type: "string" },
      config: { type: "string" },
      "install-espruino": { type: "string" },
      "print-esptool": { type: "boolean", default: false },
      "forget-token": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    } }));
  } catch (e) {
    console.error(`E flash: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.board !== undefined && !isBoardName(values.board)) {
    const noBuild = unsupportedChip(values.board);
    console.error(noBuild
      ? `E flash: --board ${values.board} is not supported: ${noBuild}; use one of ${BOARDS.join(", ")} (README: "Board support")`
      : `E flash: --board ${values.board} is not a board: use one of ${BOARDS.join(", ")}`);
    return 2;
  }
  if (values["print-esptool"] && values["install-espruino"] === undefined) {
    console.error("E flash: --print-esptool prints the command that installs the interpreter: add --install-espruino espruino_2v29_<chip>.tgz");
    return 2;
  }
  if (values["forget-token"] && values["install-espruino"] !== undefined) {
    console.error("E flash: --forget-token erases a file in the interpreter's Storage, which --install-espruino does not touch: " +
      "install first, then run npm run flash -- --port PORT --forget-token");
    return 2;
  }
  const baud = values.baud === undefined ? undefined : Number(values.baud);
  if (baud !== undefined && !(Number.isInteger(baud) && baud > 0)) {
    console.error(`E flash: --baud ${values.baud} is not a baud rate: use e.g. --baud 115200`);
    return 2;
  }
  return { port: values.port, board: values.board as BoardName | undefined, baud, monitor: !!values.monitor,
    file: values.file ?? "dist/firmware.js", config: values.config, install: values["install-espruino"],
    printEsptool: !!values["print-esptool"], forgetToken: !!values["forget-token"],
    bundleAsked: values.file !== undefined || values.config !== undefined };
}

/** --board, else the config's board, else esp32 (for messages before a config exists). */
function boardFor(o: Options): BoardName {
  if (o.board) return o.board;
  try {
    return loadDeviceConfig({ file: o.config }).config.board;
  } catch (e) {
    if (e instanceof ConfigError) return "esp32";
    throw e;
  }
}

async function flash(o: Options): Promise<number> {
  const boardName = boardFor(o);
  const board = loadBoard(boardName);
  const baud = o.baud ?? board.device.baud;
  let port = o.port;
  if (port) checkTcpAddress("flash", port);
  if (o.install && port && isTcpPort(port)) {
    // esptool-js resets the chip into its ROM bootloader with DTR/RTS and speaks to it over the wire: a console over TCP has neither.
    throw new ToolError(`E flash: --install-espruino cannot work over ${port} (the interpreter is written through the chip's ROM ` +
      `bootloader, which only its USB serial port reaches): plug the ${board.info.name} in and pass --port ${board.device.typicalPort}`, 2);
  }
  if (!port && o.install && o.printEsptool) {
    // It only prints a command: the port the user would most likely pass, said so, instead of a refusal.
    const plugged = await listSerialPorts();
    port = plugged.length === 1 ? plugged[0]! : board.device.typicalPort;
    console.log(`I flash: no --port given: the command uses ${port}, ` +
      `${plugged.length === 1 ? "the one serial port plugged in" : `the ${board.info.name}'s usual port`}; change it if the board is on another`);
  }
  if (!port) throw noPortError("flash", await listSerialPorts(), board);
  const tcp = isTcpPort(port);
  // Printing touches no port, which may be on another machine.
  if (!tcp && !o.printEsptool) for (const w of checkSerialPort("flash", port, board, await listSerialPorts())) console.error(w);

  if (o.install) {
    // The ROM bootloader is reached at 115200 and then raised to this for writing.
    const writeBaud = o.baud ?? INSTALL_BAUD;
    const plan = planInstall(o.install, port, board, writeBaud);
    // The stock release may leave TLS too little native heap: say which build does, but install it all the same.
    const short = releaseWarning(o.install, board);
    if (short) console.error(short);
    console.log(`I flash: Espruino images for ${board.device.esptoolChip} from ${plan.dir}:`);
    for (const i of plan.images) console.log(`I flash:   ${i.offset} ${i.file}`);
    if (o.printEsptool) {
      console.log("I flash: the esptool command that writes them:");
      console.log(plan.command);
      console.log(`I flash: (pip install esptool gives esptool.py; hold BOOT while pressing RESET if it cannot connect), then npm run flash -- --port ${port}`);
      return 0;
    }
    await writeRelease(plan, { port, board, baud: writeBaud, log: (l) => console.log(l), warn: (l) => console.error(l) });
    console.log(`I flash: done: Espruino ${board.info.binary_version} runs on the ${board.info.name}; now upload the firmware: npm run flash -- --port ${port}`);
    return 0;
  }

  if (o.forgetToken && !o.bundleAsked) return forgetAlone(o, port, baud);

  const bundle = await prepareBundle({ file: o.file, configFile: o.config, board: o.board });
  for (const l of bundle.lines) console.log(l);
  // The key is made (or checked) before the board is touched: a damaged key file stops the flash here.
  let key: (OtaKey & { created: boolean }) | undefined;
  if (bundle.ota && bundle.configFile) {
    key = ensureKey(bundle.configFile, "flash");
    for (const w of key.warnings) console.error(w);
    if (key.created) {
      console.log(`I flash: made the update key ${key.file} (mode 0600, ignored by git) for ${KEY_FILE}: npm run ota signs ` +
        "updates with it and the board takes only those; keep a copy");
    }
  }
  // A rebuild said why before it started (prepareBundle).
  if (bundle.reason == "up to date") console.log(`I flash: ${o.file} is up to date`);
  const target = loadBoard(bundle.board);
  checkBundle(bundle.code, o.file, bundle.board, target);

  // Is Espruino there at all? The CLI would upload into anything without complaint.
  const probe = await openLink("flash", port, baud);
  let answer;
  try {
    answer = await ask(probe, ["process.env.VERSION", "process.env.BOARD", SPLIT_PROBE]);
  } finally {
    await probe.close();
  }
  if (!answer.words) {
    const heard = answer.received.replace(/[\r\n>]/g, "").trim() ? `; it sent ${sample(answer.received)}` : "; it sent nothing";
    throw fail("flash", `no Espruino prompt on ${port}${heard}`,
      `install the interpreter once: npm run flash -- --port ${port} --install-espruino ${target.device.espruinoRelease}` +
      (tcp ? "" : ` (or check --baud ${baud})`));
  }
  const [version, boardId, ...splitWords] = answer.words;
  // The Linux build is a development target for any chip: it gets what it lacks written beside the bundle.
  const linux = boardId === LINUX_BOARD;
  if (boardId && !linux && boardId !== target.info.id) {
    throw fail("flash", `the board runs Espruino for ${boardId}, but the bundle is for ${bundle.board} (${target.info.id})`,
      "pass the right --board, or install the matching interpreter with --install-espruino");
  }
  if (linux) console.error(linuxWarning(port));
  if (version && version !== target.info.binary_version) {
    console.error(`W flash: the board runs Espruino ${version}; this firmware is tested on ${target.info.binary_version}`);
  }
  // Will TLS find enough native heap beside this interpreter's JsVars? A board without ESP32 figures
  // (the Linux build) gives none, and a config with "tls": false needs none; either way it uploads.
  const short = heapWarning(target, parseSplit(splitWords), bundle.tls ?? true);
  if (short) console.error(short);
  const extra = linux ? linuxStorageFiles() : {};
  const extraNames = Object.keys(extra);
  const stored = [...extraNames, ...(key ? [`${KEY_FILE} (the update key)`] : [])];
  console.log(`I flash: Espruino ${version} (${boardId}) answered on ${port}; uploading ${bundle.code.length.toLocaleString("en")} bytes into Storage .bootcde` +
    (stored.length ? `, and ${stored.join(", ")}` : ""));

  // Before the upload, so that the firmware it starts finds the key, and no token when it is to provision again.
  if (key || o.forgetToken) {
    const link = await openLink("flash", port, baud);
    let done;
    try {
      done = await writeSecrets(link, port, { forget: o.forgetToken, keyHex: key?.hex });
    } finally {
      await link.close();
    }
    if (o.forgetToken) console.log(forgotLine(port, !!done.hadToken, "the firmware uploaded now provisions again when it starts"));
  }

  const staged = stageStorageFiles(extra);
  let up;
  try {
    up = await upload({ port, baud, board: bundle.board, file: bundle.file, bytes: bundle.code.length, storage: staged.paths,
      onLine: (l) => { if (l.trim()) console.log(`  | ${l}`); } });
  } finally {
    staged.remove();
  }

  // Success only when the board itself confirms what it stored: the bundle, and each extra file whole.
  const check = await openLink("flash", port, baud);
  let confirmed;
  try {
    confirmed = await ask(check, [
      ...extraNames.map((n) => `(require("Storage").read(${JSON.stringify(n)})===${JSON.stringify(extra[n])}?1:0)`),
      // The key was read back when written; that it is still whole is enough here, without sending it again.
      ...(key ? [`(${KEY_LENGTH}===${key.hex.length}?1:0)`] : []),
      `(function(s){return s===undefined?-1:s.length})(require("Storage").read(".bootcde"))`,
      `(function(s){return s===undefined||s.indexOf("\\xFF")>=0?0:1})(require("Storage").read(".bootcde"))`,
      `JSON.stringify(require("Storage").read(".bootcde",0,48))`,
    ]);
  } finally {
    await check.close();
  }
  if (!confirmed.words) throw fail("flash", `the board stopped answering on ${port} after the upload`, "press reset and run npm run flash again");
  const checkedNames = [...extraNames, ...(key ? [KEY_FILE] : [])];
  const extraOk = confirmed.words.slice(0, checkedNames.length);
  const bad = checkedNames.filter((_, i) => extraOk[i] !== "1");
  if (bad.length) {
    throw fail("flash", `the board's Storage does not hold ${bad.join(", ")} as written`, "run npm run flash again");
  }
  const [len, complete] = confirmed.words.slice(checkedNames.length);
  const head = confirmed.words.slice(checkedNames.length + 2).join(" ");
  if (Number(len) !== bundle.code.length || complete !== "1" || head !== JSON.stringify(bundle.code.slice(0, 48))) {
    throw fail("flash", `the board's .bootcde does not match ${o.file} (stored ${len} of ${bundle.code.length} bytes)`,
      `run npm run flash again${tcp ? "" : " (a lower --baud helps on long cables)"}`);
  }
  const started = up.boardLines.filter((l) => /^[EWI] \(\d+\) /.test(l)).length;
  console.log(`I flash: done: ${bundle.board} stored ${len} bytes in .bootcde` + (checkedNames.length ? ` (and ${checkedNames.join(", ")})` : "") +
    ` and runs them at every ${linux ? "start of the interpreter" : "reset"}` +
    (started ? ` (${started} start-up log line(s) seen)` : ""));
  // Ctrl-T F in this monitor runs flash again with what this run was given (the paths are absolute by now).
  const again = { port, board: o.board, baud: o.baud, config: o.config, file: o.file };
  if (o.monitor) return monitorPort(port, baud, { flash: (signal) => runFlash(again, signal) });
  return 0;
}

/** The one line --forget-token prints: what was erased, or that there was nothing to. */
function forgotLine(port: string, had: boolean, then: string): string {
  return had ? `I flash: erased ${TOKEN_FILE} on ${port}, the token the board got by provisioning: ${then}`
    : `I flash: ${port} holds no ${TOKEN_FILE} (no token from provisioning): nothing to forget`;
}

/** --forget-token without --file or --config: erase the token, restart the firmware so it provisions again, upload nothing. */
async function forgetAlone(o: Options, port: string, baud: number): Promise<number> {
  const link = await openLink("flash", port, baud);
  try {
    const answer = await ask(link, ["process.env.VERSION", "process.env.BOARD"]);
    if (!answer.words) {
      const heard = answer.received.replace(/[\r\n>]/g, "").trim() ? `; it sent ${sample(answer.received)}` : "; it sent nothing";
      throw fail("flash", `no Espruino prompt on ${port}${heard}`, `check the port${isTcpPort(port) ? "" : ` and --baud ${baud}`}; nothing was erased`);
    }
    const done = await writeSecrets(link, port, { forget: true });
    // load() runs .bootcde afresh (as the upload does): the firmware forgets the token it holds in RAM too.
    // It stops the command it is in, so it runs from a timer, after the board has answered that it is set.
    if (done.hadToken) {
      const set = await ask(link, ["(setTimeout(function(){load();},100),1)"]);
      if (set.words?.[0] !== "1") {
        throw fail("flash", `${TOKEN_FILE} was erased on ${port}, but the board did not confirm the restart`, "reset the board so that it provisions again");
      }
    }
    console.log(forgotLine(port, !!done.hadToken, "restarted the firmware (load()), which provisions again"));
  } finally {
    await link.close();
  }
  if (o.monitor) return monitorPort(port, baud, { flash: (signal) => runFlash({ port, board: o.board, baud: o.baud, config: o.config, file: o.file }, signal) });
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (typeof o === "number") return o;
  // Paths are the caller's; the build (rollup, tsconfig) runs from the project root.
  o.file = resolve(o.file);
  if (o.config) o.config = resolve(o.config);
  if (o.install) o.install = resolve(o.install);
  process.chdir(ROOT);
  try {
    return await flash(o);
  } catch (e) {
    if (e instanceof ToolError) {
      console.error(e.message);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      console.error(e.message);
      console.error("E flash: nothing was flashed: fix the config above (or pass --file with a built bundle)");
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
