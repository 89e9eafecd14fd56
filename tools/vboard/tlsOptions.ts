// How Espruino's network.c turns the `ca`, `cert` and `key` options of tls.connect into mbedTLS
// objects, and the errors it throws synchronously when that fails.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";

export interface ParsedTlsOptions {
  /** Client certificate and key as PEM for node:tls (Espruino takes them as DER). */
  cert?: string;
  key?: string;
}

export interface CertSourceEnv {
  /** Reads a Storage file; strings of <= 100 chars are file names in Espruino. */
  readFile?: (name: string) => string | undefined;
  /** Serial output, for the "File not found" warning. */
  print?: (line: string) => void;
}

/** Thrown for the messages Espruino raises as InternalError. */
export class EspruinoInternalError extends Error {}

/** Bytes of an option value as Espruino sees them (strings are 8-bit, arrays are bytes). */
export function toBinaryString(v: unknown): string {
  if (typeof v === "string") return v;
  // Checked by tag: values from the program's realm are not instances of the host's ArrayBuffer.
  if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") return Buffer.from(v as ArrayBuffer).toString("latin1");
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("latin1");
  if (Array.isArray(v)) return Buffer.from(v.map((n) => Number(n) & 255)).toString("latin1");
  return String(v);
}

/** decode_certificate_var: a short string is a file name whose PEM-like body is base64-decoded. */
function decodeCertificateVar(v: unknown, env: CertSourceEnv): string {
  const s = typeof v === "function" ? toBinaryString((v as () => unknown)()) : toBinaryString(v);
  if (typeof v === "string" && v.length <= 100) {
    const file = env.readFile?.(v);
    if (file === undefined || file === "") {
      env.print?.(`WARNING: File ${JSON.stringify(v)} not found`);
      return s;
    }
    // load_cert_file: skip the first line, keep up to the next '-', drop line breaks, then atob.
    const firstNl = file.indexOf("\n");
    const rest = firstNl < 0 ? "" : file.slice(firstNl + 1);
    const dash = rest.indexOf("-");
    const body = (dash < 0 ? rest : rest.slice(0, dash)).replace(/[\r\n]/g, "");
    return Buffer.from(body, "base64").toString("latin1");
  }
  return s;
}

/** mbedtls_x509_crt_parse without a trailing NUL only accepts DER, so PEM text is "Invalid format". */
function parseCert(bin: string, which: "ca" | "cert"): X509Certificate {
  const fail = () =>
    new EspruinoInternalError(`HTTPS init failed! mbedtls_x509_crt_parse of '${which}': Invalid format\n`);
  if (bin.length === 0 || bin.charCodeAt(0) !== 0x30) throw fail();
  try {
    return new X509Certificate(Buffer.from(bin, "latin1"));
  } catch {
    throw fail();
  }
}

/** mbedtls_pk_parse_key accepts DER PKCS#1, PKCS#8 or SEC1 keys; PEM without a NUL fails. */
function parseKey(bin: string): KeyObject {
  const der = Buffer.from(bin, "latin1");
  if (der.length > 0 && der[0] === 0x30) {
    for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
      try {
        return createPrivateKey({ key: der, format: "der", type });
      } catch { /* try the next encoding */ }
    }
  }
  throw new EspruinoInternalError("HTTPS init failed! mbedtls_pk_parse_key: Invalid format\n");
}

/** Validates options the way ssl_newSocketData does (ca, then cert, then key); throws on failure. */
export function parseTlsOptions(o: Record<string, unknown>, env: CertSourceEnv = {}): ParsedTlsOptions {
  const out: ParsedTlsOptions = {};
  // The ca is parsed but never used: Espruino sets MBEDTLS_SSL_VERIFY_NONE.
  if (o.ca !== undefined && o.ca !== null) parseCert(decodeCertificateVar(o.ca, env), "ca");
  if (o.cert !== undefined && o.cert !== null) out.cert = parseCert(decodeCertificateVar(o.cert, env), "cert").toString();
  if (o.key !== undefined && o.key !== null) out.key = parseKey(decodeCertificateVar(o.key, env)).export({ format: "pem", type: "pkcs8" }).toString();
  return out;
}
