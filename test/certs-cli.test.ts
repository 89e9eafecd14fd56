// `npm run certs` as a user runs it: a child process writing into a temp folder.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCertsCli } from "../tools/certs/cli.ts";

const CLI = join(import.meta.dirname, "..", "tools", "certs", "cli.ts");
const TSX = import.meta.resolve("tsx"); // the child runs in a temp folder, outside this package
const dir = mkdtempSync(join(tmpdir(), "tb-certs-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

function certs(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ["--import", TSX, CLI, ...args], { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test("writes an RSA-2048 certificate for the host and its key into certs/, then refuses to overwrite", async () => {
  const r = await certs("--host", "tb.example.org", "--days", "90");
  assert.equal(r.code, 0, r.stderr);
  const pem = join(dir, "certs", "server.pem");
  const key = join(dir, "certs", "server_key.pem");
  const cert = new X509Certificate(readFileSync(pem));
  assert.equal(cert.publicKey.asymmetricKeyType, "rsa");
  assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(cert.checkHost("tb.example.org"), "tb.example.org");
  assert.equal(cert.subject, "CN=tb.example.org");
  const days = (new Date(cert.validTo).getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 89 && days <= 90, `valid for ${days} days`);
  assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(key))), "the key belongs to the certificate");
  assert.equal(statSync(key).mode & 0o077, 0, "the key is readable by its owner only");

  assert.match(r.stdout, /^Wrote certs\/server\.pem \(certificate: RSA-2048, CN=tb\.example\.org, valid until \d{4}-\d\d-\d\d, SHA-256 [0-9A-F:]{95}\)$/m);
  assert.match(r.stdout, /^Wrote certs\/server_key\.pem \(private key: keep it secret/m);
  assert.match(r.stdout, /"serverCert": "certs\/server\.pem"/);
  for (const s of ["MQTT_SSL_ENABLED=true", "MQTT_SSL_CREDENTIALS_TYPE=PEM", "MQTT_SSL_PEM_CERT=", "MQTT_SSL_PEM_KEY="]) assert.ok(r.stdout.includes(s), s);
  assert.ok(!r.stdout.includes("PRIVATE KEY") && !/[A-Za-z0-9+/]{40,}/.test(r.stdout), "no PEM content printed");

  const before = readFileSync(pem, "utf8");
  const again = await certs("--host", "tb.example.org");
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^E certs: certs\/server\.pem and certs\/server_key\.pem already exist: not overwritten; add --force to replace them/);
  assert.equal(readFileSync(pem, "utf8"), before);

  const forced = await certs("--host", "tb.example.org", "--force");
  assert.equal(forced.code, 0, forced.stderr);
  assert.notEqual(readFileSync(pem, "utf8"), before);
});

test("--out chooses the folder, an IP host gets an IP SAN, and a short validity is warned about", async () => {
  const r = await certs("--host", "192.168.1.10", "--out", "elsewhere", "--days", "5");
  assert.equal(r.code, 0, r.stderr);
  const cert = new X509Certificate(readFileSync(join(dir, "elsewhere", "server.pem")));
  assert.equal(cert.checkIP("192.168.1.10"), "192.168.1.10");
  assert.match(r.stdout, /^Wrote elsewhere\/server\.pem/m);
  assert.match(r.stdout, /^W cert: .*the certificate expires in [45] days/m);
});

test("missing --host prints the usage line and exits 2", async () => {
  const r = await certs();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^E certs: --host is missing/);
  assert.match(r.stderr, /^usage: npm run certs -- --host NAME \[--out DIR\] \[--days N\] \[--force\]$/m);
});

test("a host with a scheme exits 2 with the reason", async () => {
  const r = await certs("--host", "mqtts://tb.example.org", "--out", "never");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^E certs: --host "mqtts:\/\/tb\.example\.org" has a scheme \("mqtts:\/\/"\): remove it/);
  assert.equal(existsSync(join(dir, "never")), false);
});

// The remaining refusals run the same entry point in-process: a child process each would only add start-up time.
test("bad hosts, days and options exit 2 with the reason, and write nothing", (t) => {
  const errors = t.mock.method(console, "error", () => {});
  const cases: [string[], RegExp][] = [
    [["--host", "tb.example.org:8883"], /has a port \(":8883"\)/],
    [["--host", "tb.example.org/x"], /has a path/],
    [["--host", "tb example"], /contains a space/],
    [["--host", ""], /is empty/],
    [["--host", "localhost", "--days", "0"], /--days "0" is not a number of days from 1 to 36500/],
    [["--host", "localhost", "--days", "ten"], /--days "ten"/],
    [["--host", "localhost", "--bogus"], /Unknown option '--bogus'[\s\S]*usage: /],
    [["--host", "--out", "never"], /^E certs: Option '--host' argument is ambiguous\. Did you forget/],
  ];
  for (const [args, expected] of cases) {
    errors.mock.resetCalls();
    const argv = args.includes("--out") ? args : [...args, "--out", "never"];
    assert.equal(runCertsCli(argv, dir), 2, args.join(" "));
    assert.equal(errors.mock.callCount(), 1);
    assert.match(String(errors.mock.calls[0]!.arguments[0]), expected);
  }
  assert.equal(existsSync(join(dir, "never")), false);
});
