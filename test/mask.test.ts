// src/mask.ts: the one way firmware and host tools show a secret in a log line or a message.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mask } from "../src/mask.ts";

test("mask shows the first two characters of a secret longer than 4, then ***", () => {
  assert.equal(mask("Zq8SECRETtok3n"), "Zq***");
  assert.equal(mask("abcde"), "ab***");
});

test("mask shows only *** for a secret of 4 characters or fewer, the empty one included", () => {
  assert.equal(mask("abcd"), "***");
  assert.equal(mask(""), "***");
});
