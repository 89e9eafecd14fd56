#!/usr/bin/env bash
# Installs the system programs the tests run for real (mosquitto, openssl, Debian's chromium for the
# demo page's browser test, driven by playwright-core at /usr/bin/chromium, socat for the pseudo-terminal
# pairs the interpreter install is tested over, and a C compiler for the virtual board's clock library),
# from Debian's packages, when missing.
# Runs before `npm test`; as root it installs, otherwise it says which command to run.
set -euo pipefail
missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v socat >/dev/null 2>&1 || missing+=(socat)
# The espruino engine of the virtual board preloads a small clock library compiled on first use.
command -v "${CC:-cc}" >/dev/null 2>&1 || missing+=(gcc)
# Debian's own build: playwright's browser download cannot work here, and the test points at this path.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "I deps: installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "E deps: the tests need ${missing[*]}: install with 'sudo apt-get install ${missing[*]}' and run npm test again" >&2
  exit 1
fi
