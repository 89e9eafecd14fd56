// npm run certs -- --host NAME [--out DIR] [--days N] [--force]
// Makes an RSA-2048 self-signed server certificate and key for a local broker or a home ThingsBoard.
// RSA because Espruino's bundled mbedTLS negotiates only RSA server certificates on some builds.
import { chmodSync, existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkServerCert } from "../bundler/cert.ts";
import { checkHost } from "../bundler/config.ts";
import { generateSelfSigned } from "./generate.ts";

const USAGE = "usage: npm run certs -- --host NAME [--out DIR] [--days N] [--force]";

/** Runs the command; returns the exit code (0 done, 1 failed, 2 bad usage). */
export function runCertsCli(argv: string[], cwd = process.cwd()): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: "string" },
        out: { type: "string", default: "certs" },
        days: { type: "string", default: "365" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`E certs: ${(e as Error).message.replace(/\s*\n\s*/g, " ")}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(`${USAGE}\n  --host  host name or IP the device connects to (CN and subjectAltName)\n  --out   folder for server.pem and server_key.pem (default certs)\n  --days  validity in days (default 365)\n  --force replace existing files`);
    return 0;
  }
  if (values.host === undefined) {
    console.error(`E certs: --host is missing: give the host name or IP address the device connects to\n${USAGE}`);
    return 2;
  }
  const host = values.host;
  const hostProblem = checkHost(host);
  if (hostProblem) {
    console.error(`E certs: --host ${JSON.stringify(host)} ${hostProblem}`);
    return 2;
  }
  if (!/^\d+$/.test(values.days) || Number(values.days) < 1 || Number(values.days) > 36500) {
    console.error(`E certs: --days ${JSON.stringify(values.days)} is not a number of days from 1 to 36500: e.g. --days 365`);
    return 2;
  }
  const days = Number(values.days);

  const outDir = resolve(cwd, values.out);
  const certPath = resolve(outDir, "server.pem");
  const keyPath = resolve(outDir, "server_key.pem");
  const shown = (p: string) => relative(cwd, p).startsWith("..") ? p : relative(cwd, p);
  const existing = [certPath, keyPath].filter((p) => existsSync(p));
  if (existing.length > 0 && !values.force) {
    console.error(`E certs: ${existing.map(shown).join(" and ")} already exist${existing.length === 1 ? "s" : ""}: not overwritten; add --force to replace ${existing.length === 1 ? "it" : "them"} (devices built with the old certificate must then be rebuilt)`);
    return 1;
  }

  try {
    generateSelfSigned({ host, outDir, keyType: "rsa", days });
    chmodSync(keyPath, 0o600); // the key lets anyone impersonate the server
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === "ENOENT" ? "openssl was not found: install it (apt install openssl, brew install openssl)"
      : (err.stderr?.toString().trim().split("\n")[0] ?? err.message);
    console.error(`E certs: could not make the certificate: ${why}`);
    return 1;
  }

  const cert = checkServerCert({ path: certPath, host, skipCnCheck: false });
  const pem = shown(certPath);
  console.log(`Wrote ${pem} (certificate: RSA-2048, ${cert.subject}, valid until ${cert.validTo.toISOString().slice(0, 10)}, SHA-256 ${cert.fingerprint256})`);
  console.log(`Wrote ${shown(keyPath)} (private key: keep it secret, never commit it)`);
  for (const w of cert.warnings) console.log(w);
  console.log([
    "Next steps:",
    `  1. Device: set "serverCert": ${JSON.stringify(pem)} and "host": ${JSON.stringify(host)} in device.config.json, then npm run build.`,
    "  2. Real ThingsBoard: copy both files to the server and set MQTT_SSL_ENABLED=true,",
    "     MQTT_SSL_CREDENTIALS_TYPE=PEM, MQTT_SSL_PEM_CERT=<path>/server.pem, MQTT_SSL_PEM_KEY=<path>/server_key.pem,",
    "     then restart ThingsBoard (MQTT over TLS listens on port 8883).",
  ].join("\n"));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = runCertsCli(process.argv.slice(2));
}
