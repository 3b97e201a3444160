#!/bin/sh
# First command of the README (npm run setup): everything a fresh Debian
# machine with Node and npm needs, then the build of every release target.
# Safe to run again.
set -eu
cd "$(dirname "$0")/.."

# Build: gcc, liburing-dev (static liburing.a). Tests: xfsprogs (reflink
# loop mounts), rsync (reference tool), acl and attr (getfacl, getfattr),
# the linter shellcheck (install.sh, the Action's script, the release
# workflow's steps), zsh and fish (the completion scripts, loaded into their
# shells), strace (injects the failures of close, rename and setxattr),
# procps (pgrep finds the blit a test stops), bindfs (a FUSE filesystem
# without rename flags, as sshfs's) and python3-fusepy (a FUSE file that
# serves a disk image with bad sectors).
packages="gcc libc6-dev liburing-dev xfsprogs rsync acl attr e2fsprogs shellcheck zsh fish strace procps bindfs python3-fusepy"
# Release build: the linux-arm64 shim (cross gcc, arm64 liburing.a), the
# linux-x64-musl shim (musl-gcc), the Windows shim (mingw-w64), zip.
packages="$packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross liburing-dev:arm64 musl-tools gcc-mingw-w64-x86-64 zip unzip binutils file"
# Release tests: the arm64 executable under qemu-user (with arm64 libc), the
# Windows one under Wine (with test programs built by mingw,
# tests/helpers/wine/, and a FAT image from dosfstools' mkfs.vfat for a
# drive Wine takes for FAT), the Homebrew formula's syntax (ruby -c).
# --skip-unchanged on vfat and exfat loop mounts: mkfs.vfat, mkfs.exfat
# (exfatprogs); where this kernel cannot mount them, in a VM of Debian's
# kernel (tests/helpers/vm.ts): qemu, busybox for its initramfs.
packages="$packages libc6:arm64 qemu-user-static wine wine64 dosfstools exfatprogs qemu-system-x86 busybox-static ruby"
# Release tests: the macOS shims' export and import tables (llvm-nm, llvm-objdump).
packages="$packages llvm"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
added_arch=""
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: adding Debian's arm64 architecture (for liburing-dev:arm64, libc6:arm64)"
  $sudo dpkg --add-architecture arm64
  added_arch=yes
fi
missing=""
for pkg in $packages; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ] || [ -n "$added_arch" ]; then
  echo "setup: installing Debian packages:$missing"
  $sudo apt-get update -q
  # shellcheck disable=SC2086 # $missing is a list of packages, split on purpose.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

# Bun (pinned in package.json), citty, consola, type checking.
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

# Release tests: actionlint checks .github/workflows/release.yml (a Go module,
# pinned; built into build/tools/bin), jsonschema validates the Scoop manifest.
if [ ! -x build/tools/bin/actionlint ]; then
  command -v go >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends golang-go; }
  echo "setup: building actionlint 1.7.7"
  GOBIN="$PWD/build/tools/bin" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.7
fi
if ! python3 -c "import jsonschema" 2>/dev/null; then
  python3 -m pip install -q jsonschema==4.26.0 2>/dev/null || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-jsonschema
fi

# The VM's kernel (tests/helpers/vm.ts): Debian's, unpacked into
# build/tools/vm/kernel, never installed on this machine.
if [ ! -d build/tools/vm/kernel/boot ]; then
  kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
  echo "setup: unpacking $kernel_pkg into build/tools/vm/kernel (for the tests' VM)"
  rm -rf build/tools/vm && mkdir -p build/tools/vm
  (cd build/tools/vm && apt-get download -q "$kernel_pkg" 2>/dev/null && dpkg-deb -x "$kernel_pkg"_*.deb kernel && rm -f "$kernel_pkg"_*.deb)
fi

# Release build: the macOS shims (c/darwin/), cross-compiled by zig, from
# PyPI's ziglang (pinned), which ships macOS's headers and libSystem stubs;
# installed into build/tools/python, for this project only.
if [ ! -f build/tools/python/ziglang-0.17.1.dist-info/METADATA ]; then
  echo "setup: installing zig 0.17.1 (PyPI's ziglang) into build/tools/python"
  python3 -m pip --version >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-pip; }
  # Into this folder only; Debian's own Python refuses even that without the flag (PEP 668).
  python3 -m pip install -q --no-deps --upgrade --target build/tools/python ziglang==0.17.1 ||
    python3 -m pip install -q --no-deps --upgrade --break-system-packages --target build/tools/python ziglang==0.17.1
fi

# ./dist/blit (the host's target, which the test suite runs) and every other
# target, packed into dist/release/ with SHA256SUMS; channels in dist/channels/.
./node_modules/.bin/bun build.ts --release
