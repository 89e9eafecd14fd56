// npm run ota -- --fw-version V [--config F] [--title T] [--out F] [--url URL --user U --password P --device NAME]
// Builds the firmware as version V, signs it with the key beside the config (docs/ota.md §2) and writes
// the package; then uploads it to ThingsBoard and assigns it to the device, or prints how to do that in
// ThingsBoard's UI. Every failure is one `E ota:` line with its fix.
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { progress, ROOT, ToolError } from "../common/index.ts";
import { ConfigError } from "../bundler/config.ts";
import { buildOtaPackage, DEFAULT_TITLE, type OtaBuildResult } from "./build-package.ts";
import { nameProblem } from "./package.ts";

export { buildOtaPackage };

const USAGE = `usage: npm run ota -- --fw-version 1.2.0 [--config device.config.json] [--title ${DEFAULT_TITLE}]
       [--out dist/ota/<title>-<version>.js] [--url https://thingsboard.example --user U --password P --device NAME]
  Builds the firmware of a config with "ota": true as version --fw-version, signs it with the key beside the
  config (device.config.ota-key, made by npm run flash) and writes the package. With --device it uploads the
  package to ThingsBoard and assigns it to that device (--url, --user, --password, or TB_URL, TB_USER,
  TB_PASSWORD); without, it prints the steps in ThingsBoard's UI. Title and version: 1 to 32 of A-Z a-z 0-9 . _ + -`;

interface Upload {
  url: string;
  username: string;
  password: string;
  deviceName: string;
}

interface Options {
  config?: string;
  version: string;
  title: string;
  out?: string;
  upload?: Upload;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Options | number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      config: { type: "string" },
      "fw-version": { type: "string" },
      title: { type: "string" },
      out: { type: "string" },
      url: { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      device: { type: "string" },
      help: { type: "boolean", short: "h" },
    } }));
  } catch (e) {
    console.error(`E ota: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values["fw-version"] === undefined) {
    console.error(`E ota: no --fw-version given: pass the version the board will report after the update, e.g. --fw-version 1.2.0\n${USAGE}`);
    return 2;
  }
  const bad = nameProblem("version", values["fw-version"]) ?? (values.title === undefined ? undefined : nameProblem("title", values.title));
  if (bad) {
    console.error(`E ota: --${bad.startsWith("version") ? "fw-" : ""}${bad}: choose another (docs/ota.md §2)`);
    return 2;
  }
  // Uploading is asked for by a ThingsBoard option on the command line; the TB_ variables alone only supply values.
  let upload: Upload | undefined;
  if ([values.url, values.user, values.password, values.device].some((v) => v !== undefined)) {
    const given = {
      url: values.url ?? env.TB_URL, username: values.user ?? env.TB_USER, password: values.password ?? env.TB_PASSWORD,
      deviceName: values.device,
    };
    const missing = [["--url (or TB_URL)", given.url], ["--user (or TB_USER)", given.username],
      ["--password (or TB_PASSWORD)", given.password], ["--device", given.deviceName]].filter(([, v]) => !v).map(([n]) => n);
    if (missing.length) {
      console.error(`E ota: uploading to ThingsBoard needs ${missing.join(", ")}: add ${missing.length > 1 ? "them" : "it"}, ` +
        "or leave out --url, --user, --password and --device to only write the package");
      return 2;
    }
    if (!/^https?:\/\/[^/\s]+/.test(given.url!)) {
      console.error(`E ota: --url ${JSON.stringify(given.url)} is not an http(s) address: write it as https://thingsboard.example (the web UI's address)`);
      return 2;
    }
    upload = given as Upload;
  }
  return { config: values.config, version: values["fw-version"], title: values.title ?? DEFAULT_TITLE, out: values.out, upload };
}

function shown(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}

/** The package's ThingsBoard attributes, one per line, as the UI names them. */
export function attributeLines(p: OtaBuildResult): string[] {
  return Object.entries(p.attrs).map(([k, v]) => `  ${k}: ${v}`);
}

/** How to add and assign the package by hand in ThingsBoard's UI. */
export function uiSteps(p: OtaBuildResult): string[] {
  const { fw_title: title, fw_version: version } = p.attrs;
  return [
    "I ota: to offer it to the board from ThingsBoard's UI:",
    `  1. Advanced features -> OTA updates -> + (Add package): title ${title}, version ${version}, the board's device profile,`,
    `     package type Firmware, upload the file ${p.file}, checksum algorithm SHA256 (the checksum is fw_checksum above)`,
    `  2. Entities -> Devices -> the device -> edit -> Firmware: ${title} (${version}), then Apply`,
    "     (or Profiles -> Device profiles -> its profile -> Firmware, for every device of that profile)",
    "  The board downloads it while connected and reports fw_state; npm run ota with --url, --user, --password and --device does both steps.",
  ];
}

async function ota(o: Options): Promise<number> {
  // 6-11 s of build: on a terminal, the phase it is in (stderr, cleared before the result lines).
  const bar = progress("ota");
  let p: OtaBuildResult;
  try {
    p = await buildOtaPackage({ configFile: o.config, version: o.version, title: o.title, out: o.out, onPhase: (what) => bar.update(what) });
  } finally {
    bar.done();
  }
  for (const w of p.warnings) console.log(w);
  console.log(`I ota: ${shown(p.file)}: ${p.data.length.toLocaleString("en")} bytes for ${p.board}, signed with ${shown(p.keyFile)} ` +
    `(the bundle: ${p.bundleSize})`);
  for (const l of attributeLines(p)) console.log(l);
  if (!o.upload) {
    for (const l of uiSteps(p)) console.log(l);
    return 0;
  }
  const { uploadToThingsBoard } = await import("./rest.ts");
  console.log(`I ota: uploading to ${o.upload.url} as ${o.upload.username}, for device ${o.upload.deviceName}`);
  let r;
  try {
    r = await uploadToThingsBoard({ ...o.upload, title: p.attrs.fw_title, version: p.attrs.fw_version, data: p.data });
  } catch (e) {
    // The package is written either way: the UI steps are the way on from here.
    console.error(e instanceof ToolError ? e.message
      : `E ota: uploading to ${o.upload.url} failed (${(e as Error).message}): check the address, the user and the password, or add the package by hand (below)`);
    for (const l of uiSteps(p)) console.error(l);
    return 1;
  }
  console.log(`I ota: done: package ${r.packageId} (${p.attrs.fw_title} ${p.attrs.fw_version}) is assigned to ${o.upload.deviceName}; ` +
    "the board downloads it while connected and reports fw_state");
  return 0;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const o = parse(argv, env);
  if (typeof o === "number") return o;
  // Paths are the caller's; the build (rollup, tsconfig) runs from the project root.
  if (o.config) o.config = resolve(o.config);
  if (o.out) o.out = resolve(o.out);
  process.chdir(ROOT);
  try {
    return await ota(o);
  } catch (e) {
    if (e instanceof ToolError) {
      console.error(e.message);
      return e.exitCode;
    }
    const { BuildError } = await import("../bundler/build.ts");
    const { CertError } = await import("../bundler/cert.ts");
    if (e instanceof ConfigError || e instanceof CertError || e instanceof BuildError) {
      console.error(e.message);
      console.error("E ota: nothing was packaged: fix the problem above, then run npm run ota again");
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
