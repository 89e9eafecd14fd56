// Build-time checks of the server certificate that gets embedded into the firmware.
// Espruino never verifies the server certificate on the device (mbedTLS runs with VERIFY_NONE), so
// this is the one place where validity dates and the host name are checked: a wrong file here
// would otherwise only show up as a device that silently talks to the wrong server.
//
// Chains: the first certificate of the file is embedded (in ThingsBoard's MQTT_SSL_PEM_CERT the
// server's own certificate comes first, then intermediates). The device only parses `ca`, it does
// not build a chain, and every extra certificate costs RAM; the user is told with a warning.
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { BlockList, isIP } from "node:net";
import { isAbsolute, relative } from "node:path";

export class CertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertError";
  }
}

export interface ServerCert {
  /** Base64 of the DER of the (first) certificate: what the firmware passes to tls.connect as `ca`. */
  derBase64: string;
  /** e.g. "CN=localhost" (several RDNs joined by ", "). */
  subject: string;
  validTo: Date;
  /** node:crypto's asymmetricKeyType: "rsa", "ec", "ed25519", ... */
  keyType: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  warnings: string[];
}

const DAY_MS = 86_400_000;
const EXPIRY_WARNING_DAYS = 30;
const MAX_FILE_BYTES = 1 << 20;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

export function checkServerCert(o: { path: string; host: string; skipCnCheck: boolean; now?: Date }): ServerCert {
  const label = shownPath(o.path);
  const fail = (what: string): never => { throw new CertError(`E cert: ${label}: ${what}`); };
  const makeOne = `run \`npm run certs -- --host ${o.host}\` to make one for local use, or copy your ThingsBoard server's MQTT_SSL_PEM_CERT file there`;

  const bytes = readCertFile(o.path, label, makeOne);
  if (bytes.toString("latin1").trim() === "") fail(`the file is empty: ${makeOne}`);
  const text = bytes.toString("latin1");
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1]!, pem: m[0] }));
  const certBlocks = blocks.filter((b) => b.type === "CERTIFICATE");
  if (certBlocks.length === 0) fail(notPemReason(bytes, blocks.map((b) => b.type), makeOne));

  const certs = certBlocks.map((b, i) => {
    try {
      return new X509Certificate(b.pem);
    } catch (e) {
      return fail(`certificate ${i + 1} in the file is damaged (${(e as Error).message}): copy the file again from its source, or ${makeOne}`);
    }
  });
  const cert = certs[0]!;
  const warnings: string[] = [];
  const subject = cert.subject.split("\n").join(", ");
  const validFrom = new Date(cert.validFrom);
  const validTo = new Date(cert.validTo);
  const now = o.now ?? new Date();

  if (now < validFrom) {
    fail(`the certificate is not valid yet (valid from ${isoDay(validFrom)}): check this computer's clock, or ${makeOne}`);
  }
  if (now > validTo) {
    fail(`the certificate expired on ${isoDay(validTo)}: run \`npm run certs -- --host ${o.host} --force\` for a new local one, or renew your server's certificate and copy it here`);
  }
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    warnings.push(`W cert: ${label}: the certificate expires in ${daysLeft} day${daysLeft === 1 ? "" : "s"} (${isoDay(validTo)}): renew it and rebuild before then`);
  }

  const names = certNames(cert);
  const matches = hostMatches(cert, o.host);
  if (o.skipCnCheck) {
    warnings.push(`W cert: ${label}: host check skipped (skipCnCheck is true)` +
      (matches ? "" : `: the certificate is for ${names}, not "${o.host}"`));
  } else if (!matches) {
    fail(`the certificate is for ${names}, not host "${o.host}": set host to one of those names, make a new one with \`npm run certs -- --host ${o.host} --force\`, or set skipCnCheck to true`);
  }

  const key = cert.publicKey;
  const keyType = key.asymmetricKeyType ?? "unknown";
  if (keyType !== "rsa") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    warnings.push(`W cert: ${label}: the key is ${keyType.toUpperCase()}${curve ? ` ${curve}` : ""}: Espruino's bundled mbedTLS negotiates only RSA server certificates on some builds (the Linux build measured 'no shared cipher' with EC P-256); prefer RSA-2048: npm run certs`);
  } else {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) warnings.push(`W cert: ${label}: the RSA key has only ${bits} bits: prefer RSA-2048: npm run certs`);
  }
  if (certs.length > 1) {
    warnings.push(`W cert: ${label}: the file holds ${certs.length} certificates: only the first (${subject}) is embedded; the device does not check chains, and each extra certificate would cost RAM`);
  }
  if (blocks.some((b) => /PRIVATE KEY/.test(b.type))) {
    warnings.push(`W cert: ${label}: the file also holds a private key: it is not embedded, but keep it out of anything you share or commit`);
  }

  return { derBase64: cert.raw.toString("base64"), subject, validTo, keyType, fingerprint256: cert.fingerprint256, warnings };
}

function readCertFile(path: string, label: string, makeOne: string): Buffer {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CertError(`E cert: ${label} is a folder: set serverCert to the PEM file inside it`);
    if (st.size > MAX_FILE_BYTES) throw new CertError(`E cert: ${label}: the file has ${st.size} bytes, too large for a certificate: check serverCert points at the right file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof CertError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CertError(`E cert: ${label} not found: ${makeOne} (serverCert in device.config.json)`);
    throw new CertError(`E cert: ${label}: cannot read the file (${code ?? String(e)}): check its permissions`);
  }
}

/** Why a file without a CERTIFICATE block is not usable, and what to do. */
function notPemReason(bytes: Buffer, types: string[], makeOne: string): string {
  if (types.some((t) => /PRIVATE KEY/.test(t))) {
    return "the file holds a private key, not a certificate: point serverCert at the certificate (server.pem), never at the key (server_key.pem)";
  }
  if (types.includes("CERTIFICATE REQUEST")) return `the file holds a certificate request (CSR), not a certificate: ${makeOne}`;
  if (types.includes("PUBLIC KEY")) return `the file holds a bare public key, not a certificate: ${makeOne}`;
  if (bytes[0] === 0x30 && isDerCertificate(bytes)) {
    return "the file is a DER (binary) certificate, not PEM: convert it with `openssl x509 -inform der -in FILE -out server.pem` and point serverCert at server.pem";
  }
  return `the file is not a PEM certificate (no -----BEGIN CERTIFICATE----- block): ${makeOne}`;
}

function isDerCertificate(bytes: Buffer): boolean {
  try {
    new X509Certificate(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the certificate names `host`. A DNS name is matched by node:crypto as OpenSSL does (DNS
 * SANs, and the CN when there are none). node:crypto matches an IP address against IP SANs only,
 * but a certificate made with just `-subj /CN=192.168.1.50` names its address in the CN alone, as
 * many home servers' certificates do: so, in the same spirit as for DNS names, an IP host also
 * matches a CN that is exactly that address when the certificate has no IP SAN.
 */
function hostMatches(cert: X509Certificate, host: string): boolean {
  const family = isIP(host);
  if (family === 0) return cert.checkHost(host) !== undefined;
  if (cert.checkIP(host) !== undefined) return true;
  if (/(^|, )IP Address:/.test(cert.subjectAltName ?? "")) return false;
  const cn = cert.subject.split("\n").find((r) => r.startsWith("CN="))?.slice(3) ?? "";
  if (isIP(cn) !== family) return false;
  // Same address however it is written (::1 and 0:0:0:0:0:0:0:1).
  const list = new BlockList();
  list.addAddress(cn, family === 6 ? "ipv6" : "ipv4");
  return list.check(host, family === 6 ? "ipv6" : "ipv4");
}

/** The names a certificate is valid for, e.g. `CN=x (DNS:x, IP Address:1.2.3.4)`. */
function certNames(cert: X509Certificate): string {
  const cn = cert.subject.split("\n").find((r) => r.startsWith("CN="));
  const san = cert.subjectAltName;
  if (cn && san) return `${cn} (${san})`;
  return cn ?? san ?? "no host name at all";
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : p;
}
