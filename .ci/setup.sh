#!/bin/sh
# First command of the README (npm run setup): everything a fresh Debian
# machine with Node and npm needs, then the build. Safe to run again.
set -eu
cd "$(dirname "$0")/.."

# Build: gcc, liburing-dev (static liburing.a). Tests: xfsprogs (reflink
# loop mounts), rsync (reference tool), acl and attr (getfacl, getfattr).
packages="gcc libc6-dev liburing-dev xfsprogs rsync acl attr e2fsprogs"
missing=""
for pkg in $packages; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

# Bun (pinned in package.json), citty, consola, type checking.
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

./node_modules/.bin/bun build.ts
