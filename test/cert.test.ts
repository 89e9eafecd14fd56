// Server-certificate checks at build time, on real certificates made by openssl.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CertError, checkServerCert, type ServerCert } from "../tools/bundler/cert.ts";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { run } from "./helpers/run.ts";

const ROOT = join(import.meta.dirname, "..");
const DAY = 86_400_000;
let dir: string;
const c: Record<string, { certPath: string; keyPath: string }> = {};

/** openssl date format YYYYMMDDHHMMSSZ. */
const osslDate = (d: Date) => d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-cert-"));
  const make = (name: string, o: Omit<Parameters<typeof generateSelfSigned>[0], "outDir">) => {
    c[name] = generateSelfSigned({ ...o, outDir: join(dir, name) });
  };
  make("rsa", { host: "localhost" });
  make("ec", { host: "localhost", keyType: "ec" });
  make("expired", { host: "localhost", keyType: "ec", notBefore: "20200101000000Z", notAfter: "20210101000000Z" });
  make("future", { host: "localhost", keyType: "ec", notBefore: osslDate(new Date(Date.now() + 10 * DAY)) });
  make("ipv4", { host: "127.0.0.1", keyType: "ec" });
  make("ipv6", { host: "::1", keyType: "ec" });
  make("soon", { host: "localhost", keyType: "ec", days: 10 });
  make("wildcard", { host: "*.example.org", keyType: "ec" });
  // `openssl req -subj /CN=…` without subjectAltName, as many home servers' certificates are made.
  make("cnOnlyIp", { host: "192.168.1.50", cnOnly: true });
  make("cnOnlyIpv6", { host: "fd00::50", cnOnly: true });
  make("cnOnlyDns", { host: "tb.example.org", cnOnly: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The one-line CertError message of a failing check. */
function failure(path: string, host = "localhost", skipCnCheck = false): string {
  try {
    checkServerCert({ path, host, skipCnCheck });
  } catch (e) {
    assert.ok(e instanceof CertError, `expected CertError, got ${String(e)}`);
    assert.ok(!e.message.includes("\n"), `not one line: ${e.message}`);
    assert.ok(!/[A-Za-z0-9+/]{40,}/.test(e.message), `file content echoed: ${e.message}`);
    return e.message;
  }
  assert.fail(`expected a CertError for ${path}`);
}

function write(name: string, data: string | Buffer): string {
  const p = join(dir, "bad", name);
  mkdirSync(join(dir, "bad"), { recursive: true });
  writeFileSync(p, data);
  return p;
}

function assertNoContent(r: ServerCert, ...files: string[]): void {
  for (const f of files) {
    const body = readFileSync(f, "utf8").split("\n").filter((l) => l && !l.startsWith("-----"));
    for (const w of r.warnings) for (const l of body) assert.ok(!w.includes(l), `file content echoed: ${w}`);
  }
}

describe("good certificates", () => {
  test("RSA-2048 for the host: DER, subject, dates and fingerprint agree with openssl; no warnings", () => {
    const r = checkServerCert({ path: c.rsa!.certPath, host: "localhost", skipCnCheck: false });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.keyType, "rsa");
    assert.equal(r.subject, "CN=localhost");
    const der = execFileSync("openssl", ["x509", "-in", c.rsa!.certPath, "-outform", "der"]);
    assert.equal(r.derBase64, der.toString("base64"));
    const fp = execFileSync("openssl", ["x509", "-in", c.rsa!.certPath, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" });
    assert.equal(r.fingerprint256, fp.trim().split("=")[1]);
    const end = execFileSync("openssl", ["x509", "-in", c.rsa!.certPath, "-noout", "-enddate"], { encoding: "utf8" });
    assert.equal(r.validTo.getTime(), new Date(end.trim().split("=")[1]!).getTime());
    assert.ok(r.validTo.getTime() - Date.now() > 360 * DAY);
  });

  test("IP hosts match IP SANs (IPv4 and IPv6), not DNS names", () => {
    assert.equal(checkServerCert({ path: c.ipv4!.certPath, host: "127.0.0.1", skipCnCheck: false }).keyType, "ec");
    assert.ok(checkServerCert({ path: c.ipv6!.certPath, host: "::1", skipCnCheck: false }));
    assert.ok(checkServerCert({ path: c.ipv6!.certPath, host: "0:0:0:0:0:0:0:1", skipCnCheck: false }));
    assert.match(failure(c.ipv4!.certPath, "127.0.0.2"), /the certificate is for CN=127\.0\.0\.1 \(IP Address:127\.0\.0\.1\), not host "127\.0\.0\.2"/);
    assert.match(failure(c.rsa!.certPath, "127.0.0.1"), /not host "127\.0\.0\.1"/);
  });

  test("an IP address only in the CN (no SAN) is the certificate's name for that address", () => {
    const cert = new X509Certificate(readFileSync(c.cnOnlyIp!.certPath));
    assert.equal(cert.subjectAltName, undefined, "openssl made it without subjectAltName");
    const r = checkServerCert({ path: c.cnOnlyIp!.certPath, host: "192.168.1.50", skipCnCheck: false });
    assert.equal(r.subject, "CN=192.168.1.50");
    assert.deepEqual(r.warnings, []);
    // IPv6 however it is written; a DNS-only CN still matches DNS names, as before.
    assert.ok(checkServerCert({ path: c.cnOnlyIpv6!.certPath, host: "fd00:0:0:0:0:0:0:50", skipCnCheck: false }));
    assert.ok(checkServerCert({ path: c.cnOnlyDns!.certPath, host: "tb.example.org", skipCnCheck: false }));
    // Another address, or a name for an address, is still refused, with the CN as the certificate's only name.
    assert.equal(failure(c.cnOnlyIp!.certPath, "192.168.1.51"),
      `E cert: ${c.cnOnlyIp!.certPath}: the certificate is for CN=192.168.1.50, not host "192.168.1.51": set host to one of those names, ` +
      "make a new one with `npm run certs -- --host 192.168.1.51 --force`, or set skipCnCheck to true");
    assert.match(failure(c.cnOnlyIp!.certPath, "tb.example.org"), /the certificate is for CN=192\.168\.1\.50, not host "tb\.example\.org"/);
    assert.match(failure(c.cnOnlyDns!.certPath, "192.168.1.50"), /the certificate is for CN=tb\.example\.org, not host "192\.168\.1\.50"/);
  });

  test("npm run build takes a certificate whose CN alone holds the host's IP address (exit 0, the size line)", async () => {
    const config = join(dir, "cn-only-ip.json");
    writeFileSync(config, JSON.stringify({ wifiSsid: "Garden Shed", wifiPassword: "correct-horse-42", host: "192.168.1.50",
      accessToken: "Zq8SECRETtok3n", serverCert: c.cnOnlyIp!.certPath }));
    const out = join(dir, "cn-only-ip.js");
    const r = await run("npm", ["run", "-s", "build", "--", "--config", config, "--out", out], { cwd: ROOT, limitMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /^E /m);
    assert.match(r.stdout, /^I build: \S*cn-only-ip\.js: [\d,]+ bytes \(gzip [\d,]+\), \d+% of the [\d,]+-byte budget for esp32$/m);
  });

  test("a wildcard name matches one label only", () => {
    assert.ok(checkServerCert({ path: c.wildcard!.certPath, host: "tb.example.org", skipCnCheck: false }));
    assert.match(failure(c.wildcard!.certPath, "a.tb.example.org"), /not host "a\.tb\.example\.org"/);
  });
});

describe("warnings", () => {
  test("an EC key warns that some Espruino builds negotiate only RSA", () => {
    const r = checkServerCert({ path: c.ec!.certPath, host: "localhost", skipCnCheck: false });
    assert.equal(r.keyType, "ec");
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^W cert: .*server\.pem: the key is EC prime256v1: Espruino's bundled mbedTLS negotiates only RSA server certificates on some builds .*'no shared cipher'.*prefer RSA-2048: npm run certs$/);
  });

  test("expiring within 30 days warns with the date", () => {
    const r = checkServerCert({ path: c.soon!.certPath, host: "localhost", skipCnCheck: false });
    const w = r.warnings.find((x) => x.includes("expires"));
    assert.match(w ?? "", /the certificate expires in (9|10) days \(\d{4}-\d\d-\d\d\): renew it and rebuild/);
    // The same certificate judged 25 days earlier is far from expiry.
    const early = checkServerCert({ path: c.rsa!.certPath, host: "localhost", skipCnCheck: false, now: new Date(Date.now() + 334 * DAY) });
    assert.ok(early.warnings.every((x) => !x.includes("expires")));
    const late = checkServerCert({ path: c.rsa!.certPath, host: "localhost", skipCnCheck: false, now: new Date(Date.now() + 340 * DAY) });
    assert.ok(late.warnings.some((x) => x.includes("expires in")));
  });

  test("skipCnCheck turns a host mismatch into a warning that says the check was skipped", () => {
    const r = checkServerCert({ path: c.rsa!.certPath, host: "tb.example.org", skipCnCheck: true });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^W cert: .*rsa\/server\.pem: host check skipped \(skipCnCheck is true\): the certificate is for CN=localhost \(DNS:localhost\), not "tb\.example\.org"$/);
    const ok = checkServerCert({ path: c.rsa!.certPath, host: "localhost", skipCnCheck: true });
    assert.match(ok.warnings[0]!, /host check skipped \(skipCnCheck is true\)$/);
  });

  test("a chain embeds the first certificate and says so; a bundled private key is noted, not echoed", () => {
    const pem = [c.rsa!.certPath, c.ec!.certPath, c.rsa!.keyPath].map((p) => readFileSync(p, "utf8")).join("");
    const path = write("chain.pem", pem);
    const r = checkServerCert({ path, host: "localhost", skipCnCheck: false });
    const first = checkServerCert({ path: c.rsa!.certPath, host: "localhost", skipCnCheck: false });
    assert.equal(r.derBase64, first.derBase64);
    assert.equal(r.keyType, "rsa");
    assert.equal(r.warnings.length, 2, r.warnings.join("\n"));
    assert.match(r.warnings[0]!, /the file holds 2 certificates: only the first \(CN=localhost\) is embedded/);
    assert.match(r.warnings[1]!, /the file also holds a private key: it is not embedded/);
    assertNoContent(r, c.rsa!.certPath, c.rsa!.keyPath);
  });
});

describe("bad certificates fail in one line: what, why, fix", () => {
  test("expired", () => {
    assert.match(failure(c.expired!.certPath), /server\.pem: the certificate expired on 2021-01-01: run `npm run certs -- --host localhost --force`/);
  });

  test("not yet valid", () => {
    assert.match(failure(c.future!.certPath), /the certificate is not valid yet \(valid from \d{4}-\d\d-\d\d\): check this computer's clock/);
  });

  test("wrong host names the certificate's names and three ways out", () => {
    const m = failure(c.rsa!.certPath, "tb.example.org");
    assert.match(m, /the certificate is for CN=localhost \(DNS:localhost\), not host "tb\.example\.org": set host to one of those names, make a new one with `npm run certs -- --host tb\.example\.org --force`, or set skipCnCheck to true$/);
  });

  test("missing file points at npm run certs and MQTT_SSL_PEM_CERT", () => {
    const m = failure(join(dir, "nope.pem"), "tb.local");
    assert.match(m, /^E cert: .*nope\.pem not found: run `npm run certs -- --host tb\.local` to make one for local use, or copy your ThingsBoard server's MQTT_SSL_PEM_CERT file there/);
  });

  test("DER instead of PEM says how to convert", () => {
    const der = execFileSync("openssl", ["x509", "-in", c.rsa!.certPath, "-outform", "der"]);
    assert.match(failure(write("server.der", der)), /the file is a DER \(binary\) certificate, not PEM: convert it with `openssl x509 -inform der/);
  });

  test("a private key instead of the certificate", () => {
    assert.match(failure(c.rsa!.keyPath), /server_key\.pem: the file holds a private key, not a certificate: point serverCert at the certificate \(server\.pem\)/);
    assert.match(failure(c.ec!.keyPath), /holds a private key/);
  });

  test("garbage, empty, whitespace-only and a folder", () => {
    assert.match(failure(write("garbage.pem", "hello, I am not a certificate\n")), /the file is not a PEM certificate \(no -----BEGIN CERTIFICATE----- block\): run `npm run certs/);
    assert.match(failure(write("random.bin", Buffer.from([0x30, 0x82, 0xff, 0x00, 1, 2, 3]))), /the file is not a PEM certificate/);
    assert.match(failure(write("empty.pem", "")), /the file is empty: run `npm run certs -- --host localhost`/);
    assert.match(failure(write("blank.pem", "  \n\n")), /the file is empty/);
    assert.match(failure(dir), /is a folder: set serverCert to the PEM file inside it/);
  });

  test("a damaged certificate block", () => {
    const pem = readFileSync(c.rsa!.certPath, "utf8");
    const lines = pem.split("\n");
    lines.splice(3, 4); // drop part of the body
    assert.match(failure(write("damaged.pem", lines.join("\n"))), /certificate 1 in the file is damaged \(.+\): copy the file again/);
  });

  test("a certificate request is not a certificate", () => {
    const csr = execFileSync("openssl", ["req", "-new", "-key", c.rsa!.keyPath, "-subj", "/CN=localhost"]);
    assert.match(failure(write("req.pem", csr)), /the file holds a certificate request \(CSR\), not a certificate/);
  });
});
