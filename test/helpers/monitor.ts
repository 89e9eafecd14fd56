// Runs `npm run monitor` (tools/monitor/cli.ts through tsx) as a user would, with stdin a pipe the
// test types into; every wait is bounded, and the process is killed (by its PID) after `limitMs`.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../tools/common/board.ts";

export interface MonitorRun {
  readonly stdout: string;
  readonly stderr: string;
  type(keys: string): void;
  /** Resolves when `re` matches the stream's text from `from` on (default: all of it). */
  until(stream: "stdout" | "stderr", re: RegExp, ms?: number, from?: number): Promise<string>;
  /** The exit status (null when killed). */
  readonly exit: Promise<number | null>;
  kill(): void;
}

/** `entry`: the tool to run instead of tools/monitor/cli.ts (tools/flash/cli.ts for flash --monitor). */
export function startMonitor(args: string[], o: { env?: Record<string, string>; limitMs?: number; cwd?: string; entry?: string } = {}): MonitorRun {
  const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, o.entry ?? "tools/monitor/cli.ts"), ...args], {
    cwd: o.cwd ?? ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: colourEnv({ ...process.env, NO_COLOR: "1", ...o.env }),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  child.stdin.on("error", () => { /* the monitor left */ });
  const limit = setTimeout(() => child.kill("SIGKILL"), o.limitMs ?? 60_000);
  const exit = new Promise<number | null>((res) => child.on("close", (code) => { clearTimeout(limit); res(code); }));
  let exited = false;
  void exit.then(() => { exited = true; });
  return {
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    type: (keys) => { if (!exited) child.stdin.write(keys, "latin1"); },
    until: async (stream, re, ms = 20_000, from = 0) => {
      const end = Date.now() + ms;
      for (let i = 0; i < 10_000; i++) {
        const m = re.exec((stream === "stdout" ? stdout : stderr).slice(from));
        if (m) return m[0];
        if (Date.now() > end || exited) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${re} on the monitor's ${stream} within ${ms} ms${exited ? " (it exited)" : ""}\n` +
        `--- stdout (end):\n${stdout.slice(-1500)}\n--- stderr (end):\n${stderr.slice(-1500)}`);
    },
    exit,
    kill: () => { if (!exited) child.kill("SIGKILL"); },
  };
}

/** An empty NO_COLOR or FORCE_COLOR is left out (Node warns about a FORCE_COLOR that is merely set). */
function colourEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  for (const k of ["NO_COLOR", "FORCE_COLOR"]) if (!env[k]) delete env[k];
  return env;
}
