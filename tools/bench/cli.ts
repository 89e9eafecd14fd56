// `npm run bench [-- suite...] [--publishes N] [--ota]`: prints figures of the named suites (all when
// none is named). Add a suite by adding an entry to SUITES; it prints, it does not assert times. The
// arguments are checked before any suite is loaded, so a mistake is one line at once.
import { parseArgs } from "node:util";
import { PUBLISHES_MAX, PUBLISHES_MIN, type BenchOptions } from "./options.ts";

type Suite = (print: (line: string) => void, o: BenchOptions) => Promise<void>;
const SUITES: Record<string, () => Promise<Suite>> = {
  latency: async () => (await import("./latency.ts")).runLatencyBench,
  mqtt: async () => (await import("./mqtt.ts")).runMqttBench,
  ram: async () => (await import("./ram.ts")).runRamBench,
  size: async () => (await import("./size.ts")).runSizeBench,
  soak: async () => (await import("./soak.ts")).runSoakBench,
};
const USAGE = `usage: npm run bench -- [${Object.keys(SUITES).join("|")} ...] [--publishes N] [--ota]`;

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const parse = () => parseArgs({ options: { publishes: { type: "string" }, ota: { type: "boolean" } }, allowPositionals: true, strict: true });
let args: ReturnType<typeof parse>;
try {
  args = parse();
} catch (e) {
  // Node's own text, without its advice on positionals that start with "-" (no suite does).
  fail(`${(e as Error).message.replace(/\. To specify .*$/s, "")}: ${USAGE}`);
}
const names = args.positionals;
const unknown = names.filter((n) => !(n in SUITES));
if (unknown.length) fail(`unknown suite ${unknown.join(", ")}: choose from ${Object.keys(SUITES).join(", ")}`);
const selected = names.length ? names : Object.keys(SUITES);

const options: BenchOptions = {};
if (args.values.publishes !== undefined) {
  const text = args.values.publishes;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < PUBLISHES_MIN || n > PUBLISHES_MAX) {
    fail(`--publishes must be a whole number ${PUBLISHES_MIN}-${PUBLISHES_MAX}, got ${JSON.stringify(text)}: e.g. --publishes 1000`);
  }
  if (!selected.includes("ram")) fail(`--publishes applies to the ram suite: npm run bench -- ram --publishes ${text}`);
  options.publishes = n;
}
if (args.values.ota) {
  if (!selected.includes("ram")) fail("--ota applies to the ram suite: npm run bench -- ram --ota");
  options.ota = true;
}

for (const name of selected) {
  const suite = await SUITES[name]!();
  console.log(`== ${name}`);
  await suite((line) => console.log(line), options);
}
