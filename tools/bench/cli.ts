// `npm run bench [-- suite...]`: prints figures of the named suites (all when none is named).
// Add a suite by adding an entry to SUITES; it prints, it does not assert times.
import { runMqttBench } from "./mqtt.ts";
import { runRamBench } from "./ram.ts";
import { runSizeBench } from "./size.ts";
import { runSoakBench } from "./soak.ts";

const SUITES: Record<string, (print: (line: string) => void) => Promise<void>> = {
  mqtt: runMqttBench,
  ram: runRamBench,
  size: runSizeBench,
  soak: runSoakBench,
};

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in SUITES));
if (unknown.length) {
  console.error(`bench: unknown suite ${unknown.join(", ")}: choose from ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`== ${name}`);
  await SUITES[name]((line) => console.log(line));
}
