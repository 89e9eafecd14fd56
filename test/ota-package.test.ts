// The OTA package of docs/ota.md §2 and the key file beside the config: the exact bytes, a signature
// any changed byte breaks, one error line per header defect, and the key file's checks and mode.
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ensureKey, keyFileFor, loadKey } from "../tools/ota/key.ts";
import { makePackage, otaAttributes, OtaPackageError, readPackage, verifyPackage } from "../tools/ota/package.ts";

const KEY = Buffer.from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex");
const BUNDLE = "// tb-espruino-device 0.1.1 board=esp32 inputs=0123456789abcdef\nE.on('init',function(){print(\"hi\");});\n";

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), "tb-ota-pkg-")); });
after(() => rmSync(dir, { recursive: true, force: true }));

const pkg = (o: Partial<Parameters<typeof makePackage>[0]> = {}) =>
  makePackage({ bundle: BUNDLE, board: "esp32", title: "tb-espruino-device", version: "0.1.1", key: KEY, ...o });

/** The package with its header line replaced by `header` (no newline added). */
const withHeader = (header: string, bundle = BUNDLE) => Buffer.from(header + bundle, "latin1");

describe("makePackage and readPackage", () => {
  test("the package is the header line of docs/ota.md §2, a newline and the bundle byte for byte; the HMAC is over the header's fields and the bundle's SHA-256", () => {
    const p = pkg();
    const bundleSha = createHash("sha256").update(BUNDLE).digest("hex");
    const signed = `// tb-espruino-ota board=esp32 title=tb-espruino-device version=0.1.1\n${bundleSha}`;
    const hmac = createHmac("sha256", KEY).update(signed).digest("hex");
    assert.equal(p.toString("latin1"), `// tb-espruino-ota board=esp32 title=tb-espruino-device version=0.1.1 hmac=${hmac}\n${BUNDLE}`);
    const r = readPackage(p);
    assert.deepEqual({ board: r.board, title: r.title, version: r.version, hmac: r.hmac }, { board: "esp32", title: "tb-espruino-device", version: "0.1.1", hmac });
    assert.equal(r.header, `// tb-espruino-ota board=esp32 title=tb-espruino-device version=0.1.1 hmac=${hmac}`);
    assert.deepEqual(r.bundle, Buffer.from(BUNDLE));
    assert.equal(verifyPackage(p, KEY), true);
  });

  test("a string bundle is taken as UTF-8, as the build writes it; a Buffer byte for byte", () => {
    const text = "// x\nprint(\"température\");\n";
    assert.deepEqual(readPackage(pkg({ bundle: text })).bundle, Buffer.from(text, "utf8"));
    const bytes = Buffer.from([0x2f, 0x2f, 0x0a, 0xff, 0x00, 0xe9]);
    assert.deepEqual(readPackage(pkg({ bundle: bytes })).bundle, bytes);
  });

  test("ThingsBoard's attributes: fw_size and fw_checksum are those of the whole package", () => {
    const p = pkg({ title: "my-fw", version: "2.0.0-rc.1+b7" });
    assert.deepEqual(otaAttributes(p), {
      fw_title: "my-fw", fw_version: "2.0.0-rc.1+b7", fw_size: p.length,
      fw_checksum: createHash("sha256").update(p).digest("hex"), fw_checksum_algorithm: "SHA256",
    });
  });

  test("another key does not verify", () => {
    assert.equal(verifyPackage(pkg(), randomBytes(32)), false);
  });

  test("one byte changed anywhere, in the header or the bundle, and the package no longer verifies", () => {
    const p = pkg();
    // Every position, each with a low bit, a case bit and a high bit flipped: 3 x ~290 packages.
    for (let i = 0; i < p.length; i++) {
      for (const flip of [0x01, 0x20, 0x80]) {
        const q = Buffer.from(p);
        q[i] = q[i]! ^ flip;
        assert.equal(verifyPackage(q, KEY), false, `byte ${i} ^ 0x${flip.toString(16)} still verified`);
      }
    }
    // A byte more or less at the end of the bundle, too.
    assert.equal(verifyPackage(Buffer.concat([p, Buffer.from("\n")]), KEY), false);
    assert.equal(verifyPackage(p.subarray(0, p.length - 1), KEY), false);
  });

  test("each header defect is one E ota: line that names it and says how to fix it", () => {
    const hmac = readPackage(pkg()).hmac;
    const good = `// tb-espruino-ota board=esp32 title=t version=1 hmac=${hmac}\n`;
    const cases: Array<[string, Buffer, RegExp]> = [
      ["no header", Buffer.from("print(1);\n"), /does not start with "\/\/ tb-espruino-ota ", so it is not an OTA package: make it again with npm run ota$/],
      ["a bundle instead", Buffer.from(BUNDLE), /is a firmware bundle, not an OTA package .*: make the package from it with npm run ota -- --fw-version V$/],
      ["no newline", Buffer.from(good.slice(0, -1) + " ".repeat(300)), /has no newline within its first 256 bytes/],
      ["CRLF", withHeader(good.slice(0, -1) + "\r\n"), /carriage return: .*CRLF.*: use the file npm run ota wrote, unchanged$/],
      ["a field missing", withHeader(`// tb-espruino-ota board=esp32 title=t version=1\n`), /the header lacks hmac= \(it needs board= title= version= hmac=, in that order\)/],
      ["fields out of order", withHeader(`// tb-espruino-ota title=t board=esp32 version=1 hmac=${hmac}\n`), /field 1 is "title=t", not board=…/],
      ["a field too many", withHeader(`// tb-espruino-ota board=esp32 title=t version=1 hmac=${hmac} x=1\n`), /the header has more after hmac=: "x=1"/],
      ["another chip", withHeader(`// tb-espruino-ota board=esp32c6 title=t version=1 hmac=${hmac}\n`), /board "esp32c6" is not one of esp32, esp32c3, esp32s3/],
      ["an empty title", withHeader(`// tb-espruino-ota board=esp32 title= version=1 hmac=${hmac}\n`), /title "" breaks the rule: 1 to 32 characters of A-Z a-z 0-9 \. _ \+ -/],
      ["a version with a slash", withHeader(`// tb-espruino-ota board=esp32 title=t version=1/2 hmac=${hmac}\n`), /version "1\/2" breaks the rule: 1 to 32 characters/],
      ["a version of 33", withHeader(`// tb-espruino-ota board=esp32 title=t version=${"9".repeat(33)} hmac=${hmac}\n`), /version "9{33}" breaks the rule/],
      ["uppercase hex", withHeader(`// tb-espruino-ota board=esp32 title=t version=1 hmac=${hmac.toUpperCase()}\n`), /hmac "[0-9A-F]{64}" is not 64 lowercase hex characters/],
      ["short hex", withHeader(`// tb-espruino-ota board=esp32 title=t version=1 hmac=${hmac.slice(1)}\n`), /hmac "[0-9a-f]{63}" is not 64 lowercase hex characters/],
      ["not hex", withHeader(`// tb-espruino-ota board=esp32 title=t version=1 hmac=${"g".repeat(64)}\n`), /is not 64 lowercase hex characters/],
      ["no bundle", Buffer.from(good), /holds no bundle after its header/],
    ];
    for (const [what, buf, message] of cases) {
      assert.throws(() => readPackage(buf, "p.js"), (e: unknown) => {
        assert.ok(e instanceof OtaPackageError, what);
        assert.match(e.message, /^E ota: p\.js: [^\n]+$/, what);
        assert.match(e.message, message, what);
        return true;
      });
      assert.equal(verifyPackage(buf, KEY), false, what);
    }
  });

  test("makePackage refuses a bad title or version, naming the value and the rule; an empty bundle, a bundle for another chip, a package, a short key", () => {
    const refuses = (o: Partial<Parameters<typeof makePackage>[0]>, message: RegExp) =>
      assert.throws(() => pkg(o), (e: unknown) => { assert.match((e as Error).message, /^E ota: [^\n]+$/); assert.match((e as Error).message, message); return true; });
    refuses({ title: "my firmware" }, /title "my firmware" breaks the rule: 1 to 32 characters of A-Z a-z 0-9 \. _ \+ -: choose another/);
    refuses({ version: "" }, /version "" breaks the rule/);
    refuses({ version: "1".repeat(33) }, /version "1{33}" breaks the rule/);
    refuses({ version: "1.0\n" }, /version "1\.0\\n" breaks the rule/);
    refuses({ bundle: "" }, /the bundle is empty/);
    refuses({ board: "esp32c3" }, /the bundle was built for esp32, not esp32c3/);
    refuses({ bundle: pkg() }, /already an OTA package/);
    refuses({ key: KEY.subarray(0, 16) }, /the update key is 16 bytes, not 32/);
    assert.throws(() => verifyPackage(pkg(), Buffer.alloc(31)), /the update key is 31 bytes, not 32/);
  });

  test("property: any valid title, version and bundle round-trips and verifies; any one byte changed does not", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9._+-]{1,32}$/);
    // Bundles with what could confuse a parser: newlines, the header's own words, bytes above 0x7f.
    const bundle = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 600 }).map((a) => Buffer.from(a)),
      fc.array(fc.constantFrom("\n", "\r\n", " hmac=", "// tb-espruino-ota", "board=esp32", "x", "é", "\u0000", "\xff"), { minLength: 1, maxLength: 40 })
        .map((parts) => Buffer.from("\n" + parts.join(""), "utf8")),
    );
    fc.assert(fc.property(name, name, bundle, fc.constantFrom("esp32", "esp32c3", "esp32s3" as const), fc.nat(), fc.integer({ min: 1, max: 255 }),
      (title, version, b, board, at, flip) => {
        const p = makePackage({ bundle: b, board, title, version, key: KEY });
        const r = readPackage(p);
        assert.deepEqual([r.board, r.title, r.version], [board, title, version]);
        assert.deepEqual(r.bundle, b);
        assert.equal(verifyPackage(p, KEY), true);
        const q = Buffer.from(p);
        q[at % q.length] = q[at % q.length]! ^ flip;
        assert.equal(verifyPackage(q, KEY), false);
      }), { numRuns: 300 });
  });

  test("property: a title or version outside the rule is refused with its value named", () => {
    const bad = fc.string({ minLength: 0, maxLength: 40, unit: "binary" }).filter((s) => !/^[A-Za-z0-9._+-]{1,32}$/.test(s));
    fc.assert(fc.property(bad, (v) => {
      assert.throws(() => pkg({ version: v }), (e: unknown) => (e as Error).message.includes(`version ${JSON.stringify(v.slice(0, 40))}`));
      assert.throws(() => pkg({ title: v }), (e: unknown) => (e as Error).message.includes(`title ${JSON.stringify(v.slice(0, 40))}`));
    }), { numRuns: 200 });
  });
});

describe("the key file", () => {
  test("it sits beside the config: device.config.json -> device.config.ota-key, another name keeps all of it", () => {
    assert.equal(keyFileFor("/a/b/device.config.json"), "/a/b/device.config.ota-key");
    assert.equal(keyFileFor("/a/dev1.json"), "/a/dev1.ota-key");
    assert.equal(keyFileFor("/a/dev1.conf"), "/a/dev1.conf.ota-key");
    assert.equal(keyFileFor("rel/x.json"), join(process.cwd(), "rel", "x.ota-key"));
  });

  test("ensureKey makes 64 lowercase hex characters and a newline, mode 0600 whatever the umask, and keeps it after", () => {
    const config = join(dir, "device.config.json");
    const old = process.umask(0);
    let made;
    try {
      made = ensureKey(config);
    } finally {
      process.umask(old);
    }
    assert.equal(made.created, true);
    assert.equal(made.file, join(dir, "device.config.ota-key"));
    const text = readFileSync(made.file, "latin1");
    assert.match(text, /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(made.file).mode & 0o777, 0o600);
    assert.equal(made.hex, text.trim());
    assert.deepEqual(made.key, Buffer.from(text.trim(), "hex"));
    const again = ensureKey(config);
    assert.equal(again.created, false);
    assert.equal(again.hex, made.hex);
    assert.deepEqual(loadKey(config).key, made.key);
    assert.deepEqual(loadKey(config).warnings, []);
    // Two configs, two keys.
    assert.notEqual(ensureKey(join(dir, "other.json")).hex, made.hex);
  });

  test("loadKey: missing, wrong length, not hex, uppercase and unreadable are one E line each that never quote the key", () => {
    const config = join(dir, "k.json");
    const file = keyFileFor(config);
    const fails = (content: string | undefined, message: RegExp, tool?: string) => {
      rmSync(file, { force: true });
      if (content !== undefined) writeFileSync(file, content, { mode: 0o600 });
      assert.throws(() => loadKey(config, tool), (e: unknown) => {
        const m = (e as Error).message;
        assert.match(m, /^E \w+: [^\n]+$/);
        assert.match(m, message);
        if (content && content.trim().length > 8) assert.ok(!m.includes(content.trim().slice(0, 8)), "the key is never quoted");
        return true;
      });
    };
    fails(undefined, new RegExp(`^E ota: ${file.replace(/[.]/g, "\\.")} does not exist: run npm run flash once with "ota": true in k\\.json, which creates it and puts it on the board$`));
    fails(undefined, /^E flash: /, "flash");
    fails("abc\n", /holds 3 character\(s\) where the key is 64 hex characters and a newline: restore it/);
    fails("a".repeat(64) + "\n\n", /holds 65 character\(s\)/);
    fails("a".repeat(63) + "z\n", /has a character that is not a hex digit at position 64: restore it/);
    fails("A".repeat(64) + "\n", /not a lowercase hex digit at position 1: write the key in lowercase/);
    if (process.getuid?.() !== 0) {
      writeFileSync(file, "b".repeat(64) + "\n");
      chmodSync(file, 0o000);
      assert.throws(() => loadKey(config), /^E ota: cannot read \S+ \(EACCES\): check its owner and mode/);
      chmodSync(file, 0o600);
    }
    // Without a trailing newline, or with an editor's CRLF, it is still the key.
    for (const end of ["", "\r\n"]) {
      writeFileSync(file, "c".repeat(64) + end);
      assert.equal(loadKey(config).hex, "c".repeat(64));
    }
  });

  test("a key file others may read is a warning, not an error", () => {
    const config = join(dir, "open.json");
    const { file } = ensureKey(config);
    chmodSync(file, 0o644);
    const k = loadKey(config);
    assert.equal(k.warnings.length, 1);
    assert.match(k.warnings[0]!, new RegExp(`^W ota: ${file.replace(/[.]/g, "\\.")} can be read or written by others \\(mode 0644\\): .*; chmod 600 `));
    assert.ok(!k.warnings[0]!.includes(k.hex));
  });
});
