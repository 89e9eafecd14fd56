// The demo's parts on their own: command line checks, the certificate pair rules, the endpoint's port
// fall-back and the time server, each against real files, real openssl and real sockets.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { ensureCertPair, keyPathFor } from "../tools/demo/cert-pair.ts";
import { startLocalEndpoint } from "../tools/demo/local-endpoint.ts";
import { parseStartArgs } from "../tools/start.ts";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "tb-demo-parts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("start arguments: defaults, and one clear line for each bad value", () => {
  assert.deepEqual(parseStartArgs([]), { seconds: 0, timeScale: 1, pagePort: 8080, storage: undefined, out: undefined });
  assert.deepEqual(parseStartArgs(["--seconds", "2.5", "--page-port", "0", "--storage", "x"]).seconds, 2.5);
  const bad: Array<[string[], RegExp]> = [
    [["--seconds", "abc"], /^E start: --seconds must be a positive number of seconds \(omit it to run until Ctrl-C\), got "abc"$/],
    [["--seconds=-1"], /--seconds must be a positive number/],
    [["--seconds", ""], /--seconds must be a positive number/],
    [["--time-scale", "0"], /^E start: --time-scale must be a positive number \(1 = real time\), got "0"$/],
    [["--page-port", "70000"], /^E start: --page-port must be a port from 0 to 65535 \(0 = any free port\), got "70000"$/],
    [["--page-port", "80.5"], /--page-port must be a port/],
    [["--sconds", "3"], /^E start: Unknown option '--sconds'.*; usage: npm start -- \[--seconds N\]/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseStartArgs(argv), { message: re }, argv.join(" "));
});

test("npm start refuses a bad argument before doing anything, exit code 2", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "tools/start.ts", "--seconds", "soon"], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'E start: --seconds must be a positive number of seconds (omit it to run until Ctrl-C), got "soon"');
  assert.equal(r.stdout, "");
});

test("the key lies beside the certificate, named as ThingsBoard's guide names it", () => {
  assert.equal(keyPathFor("/a/certs/server.pem"), "/a/certs/server_key.pem");
  assert.equal(keyPathFor("/a/tb.crt"), "/a/tb_key.pem");
});

test("cert pair: made in place for a local host, kept when present, a scratch pair when the key is not ours", () => {
  const home = join(dir, "local");
  const scratch = join(dir, "scratch");
  const made = ensureCertPair({ serverCert: join(home, "server.pem"), host: "localhost", scratchDir: scratch });
  assert.deepEqual([made.certPath, made.keyPath, made.replacesConfigured], [join(home, "server.pem"), join(home, "server_key.pem"), false]);
  assert.match(made.note, /^made a throw-away RSA-2048 certificate for localhost: /);
  assert.match(execFileSync("openssl", ["x509", "-in", made.certPath, "-noout", "-subject"], { encoding: "utf8" }), /CN ?= ?localhost/);

  const again = ensureCertPair({ serverCert: join(home, "server.pem"), host: "localhost", scratchDir: scratch });
  assert.deepEqual([again.note, again.replacesConfigured], ["", false]);

  // A real server's certificate without its key: left alone, the endpoint gets its own pair.
  const real = join(dir, "real");
  ensureCertPair({ serverCert: join(real, "tb.pem"), host: "localhost", scratchDir: scratch });
  rmSync(join(real, "tb_key.pem"));
  const swapped = ensureCertPair({ serverCert: join(real, "tb.pem"), host: "tb.example.org", scratchDir: scratch });
  assert.equal(swapped.replacesConfigured, true);
  assert.equal(swapped.certPath, join(scratch, "demo-server.pem"));
  assert.match(swapped.note, /tb\.pem has no key beside it \(tb_key\.pem\): the local endpoint uses a throw-away certificate for tb\.example\.org/);
  assert.ok(!existsSync(join(real, "tb_key.pem")), "the user's folder is not written");

  // A remote host's missing certificate is not made in the user's folder either.
  const remote = ensureCertPair({ serverCert: join(dir, "none", "server.pem"), host: "192.168.1.10", scratchDir: join(dir, "s2") });
  assert.equal(remote.replacesConfigured, true);
  assert.ok(!existsSync(join(dir, "none")));
  assert.match(execFileSync("openssl", ["x509", "-in", remote.certPath, "-noout", "-ext", "subjectAltName"], { encoding: "utf8" }), /IP Address:192\.168\.1\.10/);
});

test("local endpoint: the configured port when free, a free one when it is taken", async () => {
  const pair = ensureCertPair({ serverCert: join(dir, "ep", "server.pem"), host: "localhost", scratchDir: join(dir, "ep-s") });
  const busy = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => busy.once("listening", r));
  const port = (busy.address() as AddressInfo).port;
  const o = { deviceName: "d", token: "T0KEN_1234", certPath: pair.certPath, keyPath: pair.keyPath };
  const moved = await startLocalEndpoint({ ...o, port });
  try {
    assert.equal(moved.moved, true);
    assert.notEqual(moved.tlsPort, port);
  } finally {
    await moved.endpoint.stop();
  }
  await new Promise((r) => busy.close(r));
  const kept = await startLocalEndpoint({ ...o, port });
  try {
    assert.deepEqual([kept.moved, kept.tlsPort], [false, port]);
  } finally {
    await kept.endpoint.stop();
  }
  await assert.rejects(startLocalEndpoint({ ...o, keyPath: join(dir, "nope.pem"), port: 0 }), /TLS key .*nope\.pem: cannot read it \(ENOENT\); create one with `npm run certs`/);
});
