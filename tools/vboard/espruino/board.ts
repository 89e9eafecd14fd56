// The virtual board on the real interpreter: a process of Espruino's Linux build per power cycle,
// given what an ESP32 build has and the Linux build lacks (docs/espruino.md §2.5 and §3): a `Wifi`
// module and the simulated access point in Storage, `ESP32`, `LED1`, the board's serial and
// temperature in `.boot0`, a clock that starts at 1970 and that SNTP steps and a network that
// reaches only loopback (preload.c), and
// E.reboot() (the process exits with status 1) restarting it from the same Storage.
// The host talks to the running program over a loopback socket that `.boot0` opens (lines:
// `e <id> <expr>` evaluates, `a <json>` rewrites the access point, `d <code> <name>` drops the
// link), not over the REPL: input on stdin while a TLS socket is open can fail the Linux build's
// assertion `len <= 64` (src/jsdevices.c). The program answers with marker lines on its console
// (`\x01vb:r <id> <json>`, `\x01vb:s` for an SNTP request, `\x01vb:z <us>` for deep sleep) that never
// reach the output: writing to that socket while TLS is open fails `ASSERT(net)` (network.c).
// The CLI and the monitor use the interpreter's telnet server, through the host's proxy
// (repl-proxy.ts: Ctrl-C, resets, the markers that land on the telnet console).
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { memoryVariant, type BoardJson, type BoardName, type MemoryVariant } from "../../common/index.ts";
import { BoardConsole } from "../console.ts";
import { boardOf } from "../options.ts";
import { REASONS } from "../wifi.ts";
import type { ReplOptions, ReplServer } from "../repl.ts";
import type { VirtualBoardOptions } from "../index.ts";
import { preloadLibrary, espruinoBinary } from "./native.ts";
import { SensorHost, type SensorControl } from "../sensors/index.ts";
import { serveTelnetProxy } from "./repl-proxy.ts";

/** Espruino's Linux build serves its REPL over telnet on this port only (one instance per machine);
 *  under the board, preload.c moves it to a free loopback port, and the REPL proxy serves any port. */
export const TELNET_PORT = 2323;
/** How long a new interpreter process may take to open its telnet server. */
const TELNET_START_MS = 10_000;
/** Starts the program's answers on its console. */
const MARK = "\x01vb:";
const WIFI_MODULE = readFileSync(join(import.meta.dirname, "wifi.js"), "latin1");
/** Lines of the interpreter's start-up logo (printed when Storage holds no boot code). */
const BANNER = /^( _{4} +_ *$|\|  __\||\|____\||\s+\|_\| espruino\.com| \dv\d+ \(c\) |Espruino is Open Source|only by sales of official boards|http:\/\/espruino\.com\/Donate)/;
interface ApState {
  ssid?: string;
  password?: string;
  present: boolean;
  /** Board milliseconds from connect() to the join (the options give real ms). */
  joinMs: number;
  ip: string;
  netmask: string;
  gw: string;
  bssid: string;
  mac: string;
  timeServer: boolean;
}

export class EspruinoBoard extends BoardConsole {
  readonly engine = "espruino" as const;
  readonly boardName: BoardName;
  readonly json: BoardJson;
  /** The module kind and interpreter build modelled (board/<chip>.json device.variants). */
  readonly variant: MemoryVariant;
  readonly ap: { setPassword(p: string): void; setPresent(p: boolean): void; dropLink(reason?: string): void; restoreLink(): void };
  private readonly dir: string;
  private readonly bin: string;
  private readonly preloadLib: string;
  private readonly clockFile: string;
  private readonly scale: number;
  private readonly serial: string;
  private apState: ApState;
  private pending = new Map<string, string>();
  private proc?: ChildProcess;
  /** True until the first line that is not the start-up logo. */
  private inBanner = true;
  private rawLine = "";

  private lastLine = "";
  /** The interpreter process's number (1 for the first) and, once it listens, its telnet port. */
  private gen = 0;
  private telnet?: { gen: number; port: number };
  private readonly telnetFile: string;
  /** REPL clients joined to the running interpreter's telnet server. */
  private telnetClients = 0;
  private nextEval = 1;
  private evals = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private restartTimer?: NodeJS.Timeout;
  /** The running program's end of the control channel, and lines waiting for it. */
  private ctrl?: Socket;
  private ctrlOut: string[] = [];
  /** The set-up run that writes Storage before each power-on. */
  private setupProc?: ChildProcess;
  private readonly ctrlServer = createServer((sock) => this.onControl(sock));
  private readonly ctrlReady: Promise<number>;
  /** The sensor's control, when the options name one (tools/vboard/sensors/). */
  readonly sensor?: SensorControl;
  private sensorHost?: SensorHost;
  private booted = false;

  constructor(private o: VirtualBoardOptions & { espruinoBin?: string; telnet?: boolean }) {
    super();
    this.json = boardOf(o);
    if (o.sensor) {
      this.sensorHost = new SensorHost(o.sensor, this.json);
      // Before the first boot the state waits for .boot0; afterwards the call reaches the running
      // program (held until its control socket connects, after a reset).
      this.sensor = this.sensorHost.control(async (expr) => {
        if (!this.booted || this.stopped) return undefined;
        const v = await this.evaluate(expr);
        if (v && typeof v === "object" && "vbThrew" in v) throw new Error(`the sensor model threw: ${String((v as { vbThrew: unknown }).vbThrew)}`);
        return v;
      });
    }
    this.variant = memoryVariant(this.json, o.memoryVariant);
    this.boardName = o.board;
    for (const [name, addr] of Object.entries(o.hosts ?? {})) {
      // preload.c resolves these for the interpreter (IPv4 loopback, no commas or "=" in names).
      if (!/^127\.\d+\.\d+\.\d+$/.test(addr) || /[,=\s]/.test(name)) {
        throw new Error(`VirtualBoard: hosts["${name}"] = "${addr}" is not a loopback address; map names to 127.x.x.x`);
      }
    }
    this.scale = o.timeScale ?? 1;
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) throw new Error(`timeScale must be a positive number, got ${this.scale}`);
    this.bin = espruinoBinary(o.espruinoBin);
    this.preloadLib = preloadLibrary();
    this.dir = resolve(o.storageDir);
    mkdirSync(this.dir, { recursive: true });
    this.clockFile = join(this.dir, "vboard-clock.bin");
    this.telnetFile = join(this.dir, "vboard-telnet-port");
    const id = createHash("sha256").update(this.dir).digest();
    const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, "0"));
    const mac = hex([0x02, ...id.subarray(0, 5)]);
    this.serial = mac.join("");
    const ap = o.ap ?? {};
    const ip = ap.ip ?? "192.168.4.2";
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`ap.ip must be an IPv4 address such as "192.168.4.2", got "${ip}"`);
    this.apState = {
      ssid: ap.ssid, password: ap.password, present: ap.present ?? true,
      joinMs: (ap.joinDelayMs ?? 50) * this.scale, ip, netmask: "255.255.255.0", gw: ip.replace(/\.\d+$/, ".1"),
      // The access point's MAC as the node engine's station reports it (tools/vboard/wifi.ts).
      bssid: ["02", "aa", ...mac.slice(2)].join(":"), mac: mac.join(":"), timeServer: !!o.timeServer,
    };
    this.ctrlReady = new Promise((res, rej) => {
      this.ctrlServer.once("error", rej);
      this.ctrlServer.listen(0, "127.0.0.1", () => res((this.ctrlServer.address() as { port: number }).port));
    });
    this.ap = {
      setPassword: (p) => this.updateAp({ password: p }),
      setPresent: (p) => (p ? this.updateAp({ present: true }) : this.ap.dropLink("no_ap_found")),
      dropLink: (reason = "beacon_timeout") => {
        this.updateAp({ present: false });
        const [code, name] = REASONS[reason.toLowerCase()] ?? [200, reason.toUpperCase()];
        this.control(`d ${code} ${name}`);
      },
      restoreLink: () => this.updateAp({ present: true }),
    };
  }

  /** Writes the program to Storage `.bootcde`, as the CLI's SAVE_ON_SEND upload does. */
  flash(code: string): void {
    if (typeof code !== "string") throw new Error("flash(code) needs the bundle as a string");
    this.writeFile(".bootcde", code);
  }

  /** Writes a Storage file: at the next power-on, or at once while running. */
  writeFile(name: string, data: string): void {
    if (this.proc) void this.evaluate(`require("Storage").write(${JSON.stringify(name)},${JSON.stringify(data)})`).catch(() => undefined);
    else this.pending.set(name, data);
  }

  async readFile(name: string): Promise<string | undefined> {
    const v = await this.evaluate(`require("Storage").read(${JSON.stringify(name)})`);
    return typeof v === "string" ? v : undefined;
  }

  /** Runs `expr` in the running program and resolves with its value (through JSON). The answer comes
   *  on the console (stdout, or a telnet client's through the REPL proxy). */
  evaluate(expr: string, timeoutMs = 5000): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error("the virtual board was stopped"));
    const id = this.nextEval++;
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.evals.delete(id);
        rej(new Error(`no answer from the interpreter to ${expr} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.evals.set(id, { resolve: res, reject: rej, timer });
      this.control(`e ${id} ${expr.replace(/\n/g, " ")}`);
    });
  }

  /** The interpreter's process.memory(): JsVar blocks in use, free and in all. */
  memory(): Promise<{ usage: number; free: number; total: number; blocksize: number }> {
    return this.evaluate("process.memory()") as Promise<{ usage: number; free: number; total: number; blocksize: number }>;
  }

  boot(): void {
    if (this.stopped) throw new Error("This VirtualBoard was stopped; create a new one on the same storageDir");
    this.start();
  }

  /** Hardware reset: the process ends and a new one starts from the same Storage. */
  reboot(): void {
    if (this.stopped) return;
    this.emit("reboot", "reboot");
    this.start();
  }

  /** What an SNTP answer does: the clock jumps to `epochSeconds`, the timers are not told. */
  stepClock(epochSeconds = Date.now() / 1000): void {
    this.setClock(Date.now() * 1000, Math.round(epochSeconds * 1e6));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.kill();
    for (const e of this.evals.values()) { clearTimeout(e.timer); e.reject(new Error("the virtual board was stopped")); }
    this.evals.clear();
    this.ctrl?.destroy();
    this.ctrlServer.close();
    this.rejectWaiters();
  }

  /** The console for the CLI and the monitor: the interpreter's own telnet REPL behind the host's
   *  proxy (repl-proxy.ts), on a board created with `telnet: true`; any loopback port (default: a
   *  free one). Its stdin is no way in for an upload: fed that fast it runs out of memory and fails
   *  an assertion. */
  async serveRepl(o: ReplOptions = {}): Promise<ReplServer> {
    if (!this.o.telnet) throw new Error("serveRepl: create the espruino-engine board with telnet: true (its REPL is Espruino's telnet server)");
    if (o.host !== undefined && o.host !== "127.0.0.1") throw new Error("serveRepl: the espruino engine's REPL listens on 127.0.0.1 only");
    return serveTelnetProxy(this, o.port ?? 0);
  }

  /** Ctrl-C for a busy program: SIGINT, which the Linux build turns into "Execution Interrupted". */
  interrupt(): void {
    this.proc?.kill("SIGINT");
  }

  /** The telnet port of an interpreter process newer than generation `after`. */
  async telnetAfter(after: number): Promise<{ gen: number; port: number } | undefined> {
    const end = Date.now() + TELNET_START_MS;
    // Polled: the port appears when the process has started (a reset restarts it after a moment).
    while (!this.stopped && Date.now() < end) {
      if (this.telnet && this.telnet.gen > after) return this.telnet;
      if (this.proc && this.gen > after && !this.telnet) this.readTelnetPort();
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  }

  /** A REPL client joined the interpreter's telnet server; returns what says it left. */
  telnetJoined(): () => void {
    this.telnetClients++;
    let left = false;
    return () => { if (!left) { left = true; this.telnetClients--; } };
  }

  /** Console text that went to a telnet client: its marker lines are the board's (taken out), and
   *  its last line tells E.reboot() from a crash when the process ends. */
  telnetFilter(): (text: string) => string {
    let carry = "";
    return (text) => {
      let t = carry + text;
      carry = "";
      let out = "";
      for (;;) {
        const at = t.indexOf(MARK);
        if (at < 0) {
          // A marker may be cut between chunks: hold back a tail that could start one.
          let keep = 0;
          for (let n = Math.min(MARK.length - 1, t.length); n > 0 && !keep; n--) if (MARK.startsWith(t.slice(-n))) keep = n;
          out += t.slice(0, t.length - keep);
          carry = t.slice(t.length - keep);
          break;
        }
        const nl = t.indexOf("\n", at);
        if (nl < 0) { out += t.slice(0, at); carry = t.slice(at); break; }
        out += t.slice(0, at);
        this.onMarker(t.slice(at + MARK.length, nl).replace(/\r$/, ""));
        t = t.slice(nl + 1);
      }
      const lines = out.split("\n").map((l) => l.replace(/\r/g, "").replace(/^(>?\x1b\[J|>)+/, "").trim()).filter(Boolean);
      if (lines.length) this.lastLine = lines.at(-1)!;
      return out;
    };
  }

  // --- internals -----------------------------------------------------------------------------------
  private updateAp(patch: Partial<ApState>): void {
    Object.assign(this.apState, patch);
    this.control(`a ${JSON.stringify(this.apState)}`);
  }

  /** One line to the running program, held until its control socket connects. */
  private control(line: string): void {
    if (this.stopped) return;
    if (this.ctrl) this.ctrl.write(line + "\n", "latin1");
    else this.ctrlOut.push(line);
  }

  private onControl(sock: Socket): void {
    this.ctrl?.destroy();
    this.ctrl = sock;

    sock.on("error", () => undefined);
    sock.on("close", () => { if (this.ctrl === sock) this.ctrl = undefined; });
    for (const l of this.ctrlOut.splice(0)) sock.write(l + "\n", "latin1");
  }

  /** Writes the clock's anchors under the sequence lock preload.c reads. */
  private setClock(realUs: number, boardUs: number): void {
    const b = Buffer.alloc(32);
    const fd = openSync(this.clockFile, "r+");
    try {
      const seq = readFileSync(this.clockFile).readBigInt64LE(0);
      b.writeBigInt64LE(seq + 1n, 0);
      writeSync(fd, b, 0, 8, 0);
      b.writeBigInt64LE(BigInt(Math.round(realUs)), 8);
      b.writeBigInt64LE(BigInt(boardUs), 16);
      b.writeDoubleLE(this.scale, 24);
      writeSync(fd, b, 8, 24, 8);
      b.writeBigInt64LE(seq + 2n, 0);
      writeSync(fd, b, 0, 8, 0);
    } finally {
      closeSync(fd);
    }
  }

  /** The set-up file: Storage as the board would have it (only what changed is written). */
  private setupScript(port: number): string {
    const files: Record<string, string> = {
      ".boot0": this.boot0(port),
      Wifi: WIFI_MODULE,
      ".vbap": JSON.stringify(this.apState),
    };
    for (const [name, data] of this.pending) files[name] = data;
    this.pending.clear();
    // A power cycle turns the radio off: the Wifi stand-in's station state (.vbsta, which load() keeps) goes.
    return `global.__vbSetup=1;(function(){var S=require("Storage"),F=${JSON.stringify(files)};` +
      `for(var n in F)if(S.read(n)!==F[n])S.write(n,F[n]);S.erase(".vbsta");` +
      // The program's own boot files, which .boot0 held aside for this run (see boot0()), go back.
      `for(var i=1;i<4;i++){var h=S.read(".vbh"+i);if(h!==undefined){S.write(".boot"+i,h);S.erase(".vbh"+i);}}})();\n` +
      // quit() (the Linux build's own) ends the run cleanly; waiting for it to go idle can spin.
      `quit();\n`;
  }

  /** What an ESP32 build has built in and the Linux build lacks, and the control socket. */
  private boot0(port: number): string {
    const led = this.json.device.ledPin;
    const v = this.variant;
    const temperature = this.json.device.chip === "esp32" ? String(this.o.temperatureRaw ?? 128) : "NaN";
    return [
      "// Written by the virtual board (tools/vboard/espruino): the ESP32 build's own globals.",
      // The set-up run (a file argument) runs .boot0-.boot3 before its file; the program's .boot1-.boot3
      // must run only at the board's boots, not there (an update's guard would count a boot, swap files
      // and keep the run from ending). Held aside as .vbhN, put back by the set-up file.
      `if(require("fs").statSync("vboard-setup.js")){var S=require("Storage");for(var i=1;i<4;i++)` +
        `if(S.read(".boot"+i)!==undefined&&S.read(".vbh"+i)===undefined){S.write(".vbh"+i,S.read(".boot"+i));S.erase(".boot"+i);}}`,
      `global.LED1=${led};`,
      // process.env is made anew at each read, but a replaced one stays: the board says what it is.
      `(function(){var e=process.env;e.BOARD=${JSON.stringify(this.json.info.id)};e.SERIAL=${JSON.stringify(this.serial)};process.env=e;})();`,
      // The board definition's heap figures for the modelled module and interpreter, as the node
      // engine's heap.ts gives them: the reserve until Wi-Fi first joins, then what joining leaves.
      // (TLS itself takes its buffers from this build's JsVars, so it cannot run short here.)
      `(function(){var j=0,m=${v.heapReserveBytes};global.ESP32={getState:function(){` +
        `if(require("Wifi").getStatus().station=="connected")j=1;var f=j?${v.heapAfterWifiBytes}:${v.heapReserveBytes};` +
        `if(f<m)m=f;return {freeHeap:f,minHeap:m};},reboot:function(){E.reboot();},` +
        `deepSleep:function(us){print("\\x01vb:z "+us);}};})();`,
      // A built-in function cannot be assigned by its bare name, but a global of the same name shadows it.
      `global.getSerial=function(){return ${JSON.stringify(this.serial)};};`,
      `E.getTemperature=function(){return ${temperature};};`,
      // The host's control channel (see the top of tools/vboard/espruino/board.ts).
      // Deferred, and skipped in the set-up run (file mode, which runs .boot0 too, then the set-up).
      `setTimeout(function(){if(global.__vbSetup)return;var c=require("net").connect({host:"127.0.0.1",port:${port}}),b="";global.__vbc=c;`,
      `c.on("data",function(d){b+=d;for(var i=b.indexOf("\\n");i>=0;i=b.indexOf("\\n")){`,
      `var l=b.substr(0,i),r=l.substr(2),j=r.indexOf(" ");b=b.substr(i+1);`,
      `if(l[0]=="e"){var v;try{v=JSON.stringify(eval(r.substr(j+1)));}catch(x){v=JSON.stringify({vbThrew:""+x});}`,
      `print("\\x01vb:r "+r.substr(0,j)+" "+v);}`,
      `else if(l[0]=="a")require("Storage").write(".vbap",r);`,
      `else if(l[0]=="d")require("Wifi").__drop(r.substr(0,j),r.substr(j+1));}});},0);`,
      // The sensor's bus and device models (tools/vboard/sensors/model.js), with the host's state.
      ...(this.sensorHost ? [this.sensorHost.script()] : []),
      "",
    ].join("\n");
  }

  /** Power on (or reset): ends the running process, if any, then starts a new one. */
  private start(): void {
    this.booted = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    // A power cycle: the clock starts again at 1970 + uptime (now, so that a step right after
    // boot() holds).
    writeFileSync(this.clockFile, Buffer.alloc(32));
    this.setClock(Date.now() * 1000, 0);
    const old = this.kill();
    void Promise.all([old, this.ctrlReady]).then(([, port]) => this.spawnInterpreter(port), (e: Error) => {
      this.write(`E vboard: the board's control socket could not listen on 127.0.0.1 (${e.message}); the board is off\n`, this.o.echo);
      this.emit("crash", e.message);
    });
  }

  private spawnInterpreter(port: number): void {
    if (this.stopped || this.proc) return;
    const hosts = Object.entries(this.o.hosts ?? {}).map(([n, a]) => `${n}=${a}`).join(",");
    const env = { ...process.env, LD_PRELOAD: this.preloadLib, VBOARD_CLOCK: this.clockFile, VBOARD_HOSTS: hosts };
    // First Storage as the board would have it, by a run of the set-up file;
    // a long REPL line instead can trip the Linux build's input thread (ASSERT in jsdevices.c).
    writeFileSync(join(this.dir, "vboard-setup.js"), this.setupScript(port), "latin1");
    // stdin stays an open pipe: at end of input the Linux build spins ("FIFO_FULL") instead of exiting.
    const setup = spawn(this.bin, ["vboard-setup.js"], { cwd: this.dir, env, stdio: ["pipe", "pipe", "ignore"] });
    this.setupProc = setup;
    let said = "";
    setup.stdout!.setEncoding("latin1");
    setup.stdout!.on("data", (d: string) => { said = (said + d).slice(-2000); });
    const limit = setTimeout(() => setup.kill("SIGKILL"), 10_000);
    setup.on("exit", (code, signal) => {
      clearTimeout(limit);
      if (this.setupProc !== setup || this.stopped) return;
      this.setupProc = undefined;
      // Gone before the board's own run, whose .boot0 tells the two runs apart by it.
      rmSync(join(this.dir, "vboard-setup.js"), { force: true });
      if (code === 0) return this.runInterpreter(env);
      this.write(`E vboard: writing Storage failed (${signal ?? "exit status " + code}): ${said.replace(/\s+/g, " ").slice(-300)}\n`, this.o.echo);
      this.emit("crash", code ?? signal);
    });
  }

  private runInterpreter(env: NodeJS.ProcessEnv): void {
    this.inBanner = true;
    this.rawLine = "";
    this.ctrl = undefined;
    this.gen++;
    this.telnet = undefined;
    if (this.o.telnet) {
      rmSync(this.telnetFile, { force: true });
      env = { ...env, VBOARD_TELNET_PORT_FILE: this.telnetFile };
    }
    // Then interactive mode, as a board's console: it loads .boot0-.boot3 and .bootcde from Storage
    // as a board does at power-on, and stays up (with a file argument the Linux build exits once idle).
    const p = spawn(this.bin, this.o.telnet ? ["--telnet"] : [], { cwd: this.dir, env, stdio: ["pipe", "pipe", "pipe"] });
    this.proc = p;
    this.write(`Espruino ${this.json.info.binary_version} ${this.json.info.id} (virtual board, real interpreter)\n`, this.o.echo);
    p.stdout!.setEncoding("latin1");
    p.stdout!.on("data", (d: string) => { if (this.proc === p) this.onOutput(d); });
    p.stderr!.on("data", () => undefined);
    p.stdin!.on("error", () => undefined);
    // "close", not "exit": the last output (E.reboot's "Not implemented") must have been read.
    p.on("close", (code, signal) => { if (this.proc === p) this.onExit(code, signal); });
  }

  private readTelnetPort(): void {
    if (!existsSync(this.telnetFile)) return;
    const port = Number(readFileSync(this.telnetFile, "latin1").trim());
    if (Number.isInteger(port) && port > 0) this.telnet = { gen: this.gen, port };
  }

  private kill(): Promise<void> {
    this.setupProc?.kill("SIGKILL");
    this.setupProc = undefined;
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((res) => {
      p.once("exit", () => res());
      // The Linux build ignores SIGTERM while its stdin is open: SIGKILL, as pulling the power.
      p.kill("SIGKILL");
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.proc = undefined;
    if (this.stopped) return;
    // E.reboot() on the Linux build prints "Not implemented" and exits with status 1. On a telnet
    // console that line is lost (the process ends before its idle loop sends it), and status 1
    // has no other cause at run time (a failed ASSERT ends it by a signal).
    if (code === 1 && (/Not implemented/.test(this.lastLine) || this.telnetClients > 0)) {
      // The board restarts from the same Storage.
      this.emit("reboot", "reboot");
      this.restartTimer = setTimeout(() => this.start(), 10);
      return;
    }
    this.write(`E vboard: the interpreter ended (${signal ?? "exit status " + code}); the board is off\n`, this.o.echo);
    this.emit("crash", code ?? signal);
  }

  private onOutput(d: string): void {
    const parts = (this.rawLine + d).split("\n");
    this.rawLine = parts.pop()!;
    for (const raw of parts) {
      // A line printed at the prompt starts with the prompt (and the line editor's clear-to-end).
      const line = raw.replace(/\r/g, "").replace(/^(>?\x1b\[J|>)+/, "");
      // The console moving to a telnet client and back is the interpreter's, not the board's.
      if (/^(->|<-) Telnet$/.test(line)) continue;
      const mark = line.indexOf(MARK);
      if (mark >= 0) { this.onMarker(line.slice(mark + MARK.length)); continue; }
      if (this.inBanner && BANNER.test(line)) continue;
      // Blank lines are the line editor redrawing its prompt, not the program's output.
      if (line === "") continue;
      this.inBanner = false;
      this.lastLine = line;
      this.write(line + "\n", this.o.echo);
    }
  }

  private onMarker(m: string): void {
    const r = /^r (\d+) (.*)$/.exec(m);
    if (r) {
      const e = this.evals.get(Number(r[1]));
      if (!e) return;
      this.evals.delete(Number(r[1]));
      clearTimeout(e.timer);
      try {
        e.resolve(r[2] === "undefined" || r[2] === "" ? undefined : JSON.parse(r[2]));
      } catch {
        e.reject(new Error(`the interpreter answered with text that is not JSON: ${r[2].slice(0, 80)}`));
      }
    } else if (m === "s") {
      // A time server on the simulated network answers a moment later.
      setTimeout(() => { if (this.proc) this.stepClock(); }, 200);
    } else if (m.startsWith("z ")) {
      const us = Number(m.slice(2));
      void this.kill();
      // Waking from deep sleep is a reset; without a time it sleeps until stopped.
      if (us > 0) this.restartTimer = setTimeout(() => this.start(), us / 1000 / this.scale);
    }
  }
}
