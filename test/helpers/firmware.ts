// Builds the real firmware bundle once per test file into a temp dir, with a generated certificate.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFirmware, type BuildResult } from "../../tools/bundler/build.ts";
import { generateSelfSigned } from "../../tools/certs/generate.ts";

export interface TestBuild extends BuildResult {
  dir: string;
  certPath: string;
  keyPath: string;
  cleanup(): void;
}

/** `overrides` are config keys layered over a complete valid config for host "localhost". */
export async function buildTestFirmware(overrides: Record<string, unknown> = {}): Promise<TestBuild> {
  const dir = mkdtempSync(join(tmpdir(), "tb-fw-"));
  const { certPath, keyPath } = generateSelfSigned({ host: "localhost", outDir: dir });
  const config = {
    board: "esp32c3",
    wifiSsid: "TestNet",
    wifiPassword: "correct-horse",
    host: "localhost",
    port: 8883,
    accessToken: "TEST_TOKEN_123",
    telemetryIntervalMs: 5000,
    logLevel: "info",
    serverCert: certPath,
    ...overrides,
  };
  const configFile = join(dir, "device.config.json");
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const r = await buildFirmware({ configFile, env: {}, outFile: join(dir, "firmware.js") });
  return { ...r, dir, certPath, keyPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
