// npm test: the type check and every test file, in two phases, failing when any of them fails.
// Most of a test file's time is spent waiting (on subprocesses, the interpreter, sockets, timers), so
// the independent files run a few at a time beside the type check: each in its own `node --test`
// process with a TMPDIR of its own, so nothing one file leaves in (or looks for in) the temp folder is
// seen by another. Then the files that must run alone run one after another: those that measure RAM,
// latency or board time against the host's clock, and those that write or snapshot the project's own
// folders (dist/, certs/, .vboard/). Each file's output is printed whole when it ends, so files that
// ran side by side do not mix their lines; a summary with every file's result and time ends the run.
// usage: npm test [-- [--jobs N] [test/FILE.test.ts ...]]   (TEST_JOBS=N also sets the number)
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./common/index.ts";

/** Run alone, after the others, one at a time, with the reason. */
const ALONE: Record<string, string> = {
  "bench-latency": "measures latency",
  "bench-ram": "measures RAM over 60 publishes",
  "bench-ram-ota": "measures RAM",
  "bench-sensors": "measures each driver's RAM",
  "firmware-clock-step": "one reading per interval of board time, against the host's clock",
  "vboard-clock-step": "steps the board's clock against the host's",
  // Beside 3 others its espruino board once gave no answer to a Storage read within 5 s (1 run of 3).
  "flash-ota": "its interpreter's console answered too late beside other files",
};

/** Files that write or check the same folder of the project: never two with the same folder at once. */
const SHARED: Record<string, string> = {
  // Checks that npm start leaves dist/ untouched; ota-cli writes dist/ota/ (its default output).
  "flash-reproducible": "dist/",
  "ota-cli": "dist/",
};

/** Started first among the others (the longest, measured), so that no long file starts last. */
const LONGEST_FIRST = [
  "flash-reproducible", "device-ota", "monitor-vboard", "demo-start", "ota-cli", "flash-e2e", "device-sensors", "build",
  "sensor-drivers", "demo-page", "flash-linux", "device-e2e", "units-vboard", "demo-parts", "device-provision",
];

const DEFAULT_JOBS = 3;

interface Job {
  name: string;
  cmd: string;
  args: string[];
  /** Own temp folder. */
  tmp?: boolean;
  /** The project folder it shares with other jobs (SHARED). */
  lock?: string;
}

interface Outcome {
  name: string;
  ok: boolean;
  seconds: number;
  pass: number;
  fail: number;
  skipped: number;
}

const testName = (file: string) => file.replace(/^.*\//, "").replace(/\.test\.ts$/, "");

function parseCli(argv: string[]): { jobs: number; files: string[] } {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { jobs: { type: "string" } } });
  const jobs = Number(values.jobs ?? process.env.TEST_JOBS ?? DEFAULT_JOBS);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs takes a whole number from 1, got ${values.jobs ?? process.env.TEST_JOBS}`);
  const all = readdirSync(join(ROOT, "test")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => join("test", f));
  const files = positionals.length ? positionals.map((p) => relative(ROOT, join(ROOT, p))) : all;
  for (const f of files) if (!all.includes(f)) throw new Error(`${f} is not a test file under test/`);
  return { jobs, files };
}

const running = new Set<ReturnType<typeof spawn>>();

/** Runs a job to its end with its output captured; prints the output whole, then its result line. */
function runJob(job: Job): Promise<Outcome> {
  const started = Date.now();
  let tmp: string | undefined;
  const env = { ...process.env };
  if (job.tmp) {
    tmp = mkdtempSync(join(tmpdir(), `tbt-${job.name}-`));
    // Like /tmp itself: a test may run a tool as another user (flash-errors: nobody) from a folder in it.
    chmodSync(tmp, 0o1777);
    env.TMPDIR = tmp;
    // tsx's transform cache (os.tmpdir()/tsx-<uid>) stays the one every process shares.
    const cache = `tsx-${process.geteuid?.() ?? userInfo().username}`;
    mkdirSync(join(tmpdir(), cache), { recursive: true, mode: 0o700 });
    symlinkSync(join(tmpdir(), cache), join(tmp, cache), "dir");
  }
  return new Promise((resolve) => {
    const child = spawn(job.cmd, job.args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    let done = false;
    // A child that cannot start emits "error" and may still emit "close": one result per job.
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (done) return;
      done = true;
      running.delete(child);
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      const seconds = (Date.now() - started) / 1000;
      const count = (what: string) => Number(new RegExp(`^ℹ ${what} (\\d+)$`, "m").exec(out)?.[1] ?? 0);
      const o: Outcome = { name: job.name, ok: code === 0 && !error, seconds, pass: count("pass"), fail: count("fail"), skipped: count("skipped") };
      const how = error ? `could not run: ${error.message}` : signal ? `killed by ${signal}` : `exit status ${code}`;
      process.stdout.write(`\n=== ${job.name}\n${out}${out.endsWith("\n") || !out ? "" : "\n"}` +
        `=== ${job.name}: ${o.ok ? "ok" : `FAILED (${how})`}, ${o.pass} passed, ${o.fail} failed, ${o.skipped} skipped, ${seconds.toFixed(1)} s\n`);
      resolve(o);
    };
    child.once("error", (e) => finish(null, null, e));
    child.once("close", (code, signal) => finish(code, signal));
  });
}

/** Runs `jobs` with at most `n` at once, in the order given, except that a job whose folder another
 *  running job holds waits and lets the next ones go first. */
function pool(jobs: Job[], n: number): Promise<Outcome[]> {
  const results: Outcome[] = [];
  const waiting = jobs.slice();
  const held = new Set<string>();
  let active = 0;
  return new Promise((resolve) => {
    const fill = () => {
      for (let i = 0; i < waiting.length && active < n;) {
        const job = waiting[i]!;
        if (job.lock && held.has(job.lock)) { i++; continue; }
        waiting.splice(i, 1);
        active++;
        if (job.lock) held.add(job.lock);
        void runJob(job).then((o) => {
          results.push(o);
          active--;
          if (job.lock) held.delete(job.lock);
          fill();
        });
      }
      if (!active && !waiting.length) resolve(results);
    };
    fill();
  });
}

const fileJob = (file: string): Job => ({
  name: testName(file), cmd: process.execPath, args: ["--import", "tsx", "--test", "--test-reporter=spec", file], tmp: true,
  lock: SHARED[testName(file)],
});

async function main(): Promise<number> {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`E test: ${(e as Error).message}\nusage: npm test [-- [--jobs N] [test/FILE.test.ts ...]]`);
    return 2;
  }
  const rank = (f: string) => { const i = LONGEST_FIRST.indexOf(testName(f)); return i < 0 ? LONGEST_FIRST.length : i; };
  const together = cli.files.filter((f) => !(testName(f) in ALONE)).sort((a, b) => rank(a) - rank(b));
  const alone = cli.files.filter((f) => testName(f) in ALONE);
  const started = Date.now();
  console.log(`I test: the type check and ${together.length} file(s), ${cli.jobs} at a time; then ${alone.length} file(s) one at a time: ` +
    alone.map(testName).join(", "));
  // npm's own script, so the type check stays the one `npm run typecheck` runs.
  const typecheck: Job = { name: "typecheck", cmd: "npm", args: ["run", "-s", "typecheck"] };
  const results = await pool([typecheck, ...together.map(fileJob)], cli.jobs);
  if (alone.length) console.log(`\nI test: now ${alone.length} file(s) one at a time (${alone.map((f) => `${testName(f)}: ${ALONE[testName(f)]}`).join("; ")})`);
  results.push(...(await pool(alone.map(fileJob), 1)));

  const failed = results.filter((r) => !r.ok);
  const sum = (k: "pass" | "fail" | "skipped") => results.reduce((s, r) => s + r[k], 0);
  console.log("\nI test: summary (seconds, passed/failed/skipped)");
  for (const r of results) {
    const counts = r.name === "typecheck" ? "-" : `${r.pass}/${r.fail}/${r.skipped}`;
    console.log(`  ${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(24)} ${r.seconds.toFixed(1).padStart(6)}  ${counts}`);
  }
  console.log(`I test: ${results.length - 1} file(s) and the type check in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
    `${sum("pass")} passed, ${sum("fail")} failed, ${sum("skipped")} skipped` +
    (failed.length ? `; FAILED: ${failed.map((r) => r.name).join(", ")}` : ""));
  return failed.length ? 1 : 0;
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    for (const c of running) c.kill(sig);
    process.exit(sig == "SIGINT" ? 130 : 143);
  });
}

process.exitCode = await main();
