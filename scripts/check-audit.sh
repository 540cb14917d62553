#!/usr/bin/env bash
# Fails on high or critical advisories in production dependencies (npm audit --omit=dev).
# When the registry's advisory endpoint cannot be reached (some mirrors answer 405), the check
# says so loudly and passes, unless AUDIT_REQUIRED=1, which makes an unreachable endpoint a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

out="$(npm audit --omit=dev --audit-level=high --json 2>/dev/null)"
status=$?

summary="$(printf '%s' "$out" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try {
      const r = JSON.parse(s);
      const v = r.metadata && r.metadata.vulnerabilities;
      if (!v) { console.log("unreachable"); return; }
      console.log(`${v.high ?? 0} ${v.critical ?? 0}`);
    } catch { console.log("unreachable"); }
  });')"

if [ "$summary" = "unreachable" ]; then
  echo "audit: NOT CHECKED — the registry's advisory endpoint did not answer (npm audit exit $status)."
  echo "audit: run 'npm audit --omit=dev' where the registry allows it."
  [ "${AUDIT_REQUIRED:-0}" = "1" ] && exit 1
  exit 0
fi

read -r high critical <<<"$summary"
if [ "$high" != "0" ] || [ "$critical" != "0" ]; then
  echo "audit: $high high and $critical critical advisories in production dependencies:"
  npm audit --omit=dev --audit-level=high || true
  exit 1
fi
echo "audit: 0 high, 0 critical advisories in production dependencies"
