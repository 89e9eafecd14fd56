// Runs a command as a user would, capturing its output; killed after `limitMs` so a hang fails the
// test instead of stalling the suite.
import { spawn, type ChildProcess } from "node:child_process";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; limitMs?: number; onSpawn?: (c: ChildProcess) => void }): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"], env: o.env ?? process.env });
    o.onSpawn?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const limit = setTimeout(() => child.kill(), o.limitMs ?? 30_000);
    child.on("close", (code) => { clearTimeout(limit); resolve({ code, stdout, stderr }); });
  });
}
