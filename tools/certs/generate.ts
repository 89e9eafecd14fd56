// Self-signed server certificates for local use (the virtual board's endpoint, tests, a home
// ThingsBoard). Uses the real openssl binary, as a user following ThingsBoard's guide would.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";

export type KeyType = "rsa" | "ec";

export interface GenerateOptions {
  /** Host name or IP the certificate is for: CN and subjectAltName. */
  host: string;
  outDir: string;
  /** RSA-2048 by default: Espruino's bundled mbedTLS negotiates only RSA on some builds. */
  keyType?: KeyType;
  days?: number;
  /** File names inside outDir; default server.pem and server_key.pem as in ThingsBoard's guide. */
  certName?: string;
  keyName?: string;
  /** Start of validity as an openssl date (YYYYMMDDHHMMSSZ); for tests of not-yet-valid certificates. */
  notBefore?: string;
  /** End of validity as an openssl date; overrides days. */
  notAfter?: string;
  /** Name the host in the CN alone, without subjectAltName, as older or hand-made certificates do. */
  cnOnly?: boolean;
}

export interface GeneratedCert {
  certPath: string;
  keyPath: string;
}

/** Writes a self-signed certificate and its unencrypted key; returns their paths. */
export function generateSelfSigned(o: GenerateOptions): GeneratedCert {
  mkdirSync(o.outDir, { recursive: true });
  const certPath = join(o.outDir, o.certName ?? "server.pem");
  const keyPath = join(o.outDir, o.keyName ?? "server_key.pem");
  const san = o.cnOnly ? undefined : isIP(o.host) ? `IP:${o.host}` : `DNS:${o.host}`;
  const keyArgs =
    (o.keyType ?? "rsa") === "rsa"
      ? ["-newkey", "rsa:2048"]
      : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  if (o.notBefore || o.notAfter) {
    // openssl 3.0's `req` cannot set explicit dates; `ca -selfsign` can, given a throw-away CA setup.
    signWithDates(o, keyArgs, san, certPath, keyPath);
    return { certPath, keyPath };
  }
  // The certificate is embedded in the firmware, so it carries only what a server certificate needs:
  // openssl's default key identifiers (useless on a self-signed certificate) would add 85 bytes.
  const dir = mkdtempSync(join(tmpdir(), "tb-cert-"));
  try {
    const config = join(dir, "req.cnf");
    writeFileSync(config, [
      "[req]", "distinguished_name=dn", "x509_extensions=ext", "[dn]", "[ext]", "basicConstraints=critical,CA:TRUE",
      ...(san ? [`subjectAltName=${san}`] : []), "subjectKeyIdentifier=none", "authorityKeyIdentifier=none", "",
    ].join("\n"));
    execFileSync("openssl", ["req", "-x509", ...keyArgs, "-nodes", "-keyout", keyPath, "-out", certPath,
      "-subj", `/CN=${o.host}`, "-config", config, "-days", String(o.days ?? 365)], { stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { certPath, keyPath };
}

function signWithDates(o: GenerateOptions, keyArgs: string[], san: string | undefined, certPath: string, keyPath: string): void {
  const dir = mkdtempSync(join(tmpdir(), "tb-ca-"));
  try {
    const csr = join(dir, "req.csr");
    execFileSync("openssl", ["req", "-new", ...keyArgs, "-nodes", "-keyout", keyPath, "-out", csr,
      "-subj", `/CN=${o.host}`], { stdio: "pipe" });
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "ext.cnf"), san ? `subjectAltName=${san}\n` : "basicConstraints=critical,CA:TRUE\n");
    writeFileSync(join(dir, "ca.cnf"), [
      "[ca]", "default_ca=local", "[local]", `dir=${dir}`, "database=$dir/index.txt",
      "new_certs_dir=$dir", "serial=$dir/serial", "default_md=sha256", "policy=any",
      "unique_subject=no", "[any]", "commonName=supplied", "",
    ].join("\n"));
    writeFileSync(join(dir, "serial"), "01\n");
    const dates = ["-startdate", o.notBefore ?? "20000101000000Z"];
    if (o.notAfter) dates.push("-enddate", o.notAfter);
    else dates.push("-days", String(o.days ?? 365));
    execFileSync("openssl", ["ca", "-batch", "-selfsign", "-config", join(dir, "ca.cnf"), "-keyfile", keyPath,
      "-in", csr, "-out", certPath, "-notext", "-extfile", join(dir, "ext.cnf"), ...dates], { stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
