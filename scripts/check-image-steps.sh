#!/usr/bin/env bash
# Runs the Dockerfile's steps without Docker (CI's machine has none) and probes the result as the image would run:
#   build   — the Dockerfile's `npm ci` + `prepare` is what CI's own `npm ci` just did: dist/ is reused (built if missing);
#   deps    — `npm ci --omit=dev --ignore-scripts` in an empty folder with package.json and package-lock.json;
#   runtime — the files the Dockerfile copies, NODE_ENV=production, an unprivileged user (when run as root), then the
#             Dockerfile's own HEALTHCHECK command until /healthz answers, and a clean stop.
# Node: the image's base is Node 22; here the repository's node_modules/.bin/node stands in for it.
# Exit 0 when the server came up healthy from the image's files alone; non-zero with the server's output otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node="$root/node_modules/.bin/node"
[ -x "$node" ] || { echo "image: $node is missing: run npm ci first"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-image.XXXXXX")"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
app="$work/app"
mkdir -p "$app"
started=$SECONDS

echo "image: build stage (dist/ from npm ci's prepare)"
[ -f "$root/dist/src/main.js" ] || (cd "$root" && npm run build --silent)

echo "image: deps stage (npm ci --omit=dev --ignore-scripts)"
cp "$root/package.json" "$root/package-lock.json" "$app/"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
# (typescript stays: Prisma names it as a peer, so npm installs it with production dependencies)
for dev in node playwright-core autocannon smtp-server; do
  if [ -e "$app/node_modules/$dev" ]; then echo "image: the runtime holds the dev dependency $dev"; exit 1; fi
done

echo "image: runtime stage (the files the Dockerfile copies)"
mkdir -p "$app/dist"
cp -r "$root/dist/src" "$app/dist/src"
cp -r "$root/prisma" "$root/views" "$app/"
data="$work/data"
mkdir -p "$data"

# The image runs as `node`; as root here, an unprivileged user stands in, owning only DATA_DIR.
run_as=()
if [ "$(id -u)" = "0" ]; then
  chmod 755 "$work"
  chown -R nobody "$data"
  run_as=("$(command -v runuser)" -u nobody --)
fi

port="$("$node" -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
healthcheck="$("$node" -e "
  const text = require('node:fs').readFileSync(process.argv[1], 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('HEALTHCHECK '));
  console.log(JSON.stringify(JSON.parse(line.slice(line.indexOf('CMD [') + 4))));" "$root/Dockerfile")"

secret() { "$node" -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"; }
log="$work/server.log"
echo "image: starting as $([ ${#run_as[@]} -gt 0 ] && echo nobody || id -un) with NODE_ENV=production on port $port"
(cd "$app" && exec env -i PATH="$(dirname "$node"):/usr/bin:/bin" NODE_ENV=production PORT="$port" HOST=127.0.0.1 \
  PUBLIC_URL=https://id.example.test DATA_DIR="$data" KEY_ENCRYPTION_KEY="$(secret)" COOKIE_SECRETS="$(secret)" LOG_LEVEL=warn \
  "${run_as[@]}" "$node" dist/src/main.js) >"$log" 2>&1 &
server=$!

# the Dockerfile's HEALTHCHECK command, with `node` being the image's Node
probe() {
  PORT="$port" "$node" -e "
    const [cmd, ...args] = JSON.parse(process.argv[1]);
    const r = require('node:child_process').spawnSync(cmd === 'node' ? process.execPath : cmd, args, { stdio: 'ignore', timeout: 3000 });
    process.exit(r.status ?? 1);" "$healthcheck"
}
for _ in $(seq 1 180); do
  if probe; then
    echo "image: /healthz answered after $((SECONDS - started)) s in all"
    if grep -q "Unsupported runtime" "$log"; then echo "image: oidc-provider warned about the runtime"; cat "$log"; exit 1; fi
    # the native password hasher loads from the production dependencies (the probe does not sign anyone in)
    (cd "$app" && "$node" -e "const a = require('@node-rs/argon2'); if (!a.verifySync(a.hashSync('x', { memoryCost: 256, timeCost: 1 }), 'x')) process.exit(1)")
    kill "$server"
    wait "$server" || true
    server=""
    echo "image: steps ok"
    exit 0
  fi
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  sleep 1
done
echo "image: the server did not become healthy; its output:"
cat "$log"
exit 1
