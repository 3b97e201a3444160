#!/bin/sh
# Installs blit from its GitHub release on Linux or macOS:
#
#   curl -fsSL https://raw.githubusercontent.com/blit-dev/blit/main/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- [--version X.Y.Z] [--prefix DIR]
#   sh install.sh [--version X.Y.Z] [--prefix DIR]     (default: latest, ~/.local)
#
# It picks the archive for this OS and CPU, downloads it with SHA256SUMS,
# checks the archive's SHA-256 (sha256sum, or shasum -a 256 on macOS), and
# only then puts `blit` in PREFIX/bin. On a mismatch it installs nothing.
# Environment: BLIT_VERSION, BLIT_PREFIX, BLIT_DOWNLOAD_URL (a mirror of the
# release's assets: the folder holding SHA256SUMS), BLIT_LIBC (glibc or musl:
# which Linux build; found from the system's loader otherwise).
set -eu

REPO="blit-dev/blit"
version="${BLIT_VERSION:-latest}"
prefix="${BLIT_PREFIX:-}"

# Removes the empty directories from $1 up to $2, which was there before.
unmake() {
  d="$1"
  while [ "$d" != "$2" ] && rmdir "$d" 2>/dev/null; do d="$(dirname "$d")"; done
}

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Installs blit from its GitHub release on Linux or macOS.

  curl -fsSL https://raw.githubusercontent.com/blit-dev/blit/main/install.sh | sh
  curl -fsSL .../install.sh | sh -s -- [--version X.Y.Z] [--prefix DIR]
  sh install.sh [--version X.Y.Z] [--prefix DIR]     (default: latest, ~/.local)

Environment: BLIT_VERSION, BLIT_PREFIX, BLIT_DOWNLOAD_URL (a mirror of the
release's assets), BLIT_LIBC (glibc or musl).
EOF
}

# All in one function, called on the last line: a download cut short runs nothing.
main() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --version) [ $# -ge 2 ] || fail "--version needs a value"; version="$2"; shift 2 ;;
      --version=*) version="${1#*=}"; shift ;;
      --prefix) [ $# -ge 2 ] || fail "--prefix needs a value"; prefix="$2"; shift 2 ;;
      --prefix=*) prefix="${1#*=}"; shift ;;
      -h | --help) usage; exit 0 ;;
      *) fail "unknown argument '$1' (try --help)" ;;
    esac
  done
  version="${version#v}"
  if [ -z "$prefix" ]; then
    [ -n "${HOME:-}" ] || fail "HOME is not set: say where with --prefix DIR"
    prefix="$HOME/.local"
  fi
  case "${BLIT_LIBC:-}" in
    "" | glibc | musl) ;;
    *) fail "BLIT_LIBC must be glibc or musl, not '$BLIT_LIBC'" ;;
  esac

  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN*) fail "on Windows, use install.ps1 or scoop (see the README)" ;;
    *) fail "no blit build for $(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no blit build for $(uname -m) CPUs" ;;
  esac
  # An x64 shell on Apple silicon (Rosetta): install the native arm64 build.
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    arch=arm64
  fi
  # musl systems (Alpine) get the musl build; BLIT_LIBC=glibc|musl overrides.
  libc="${BLIT_LIBC:-}"
  if [ -z "$libc" ] && [ "$os" = linux ]; then
    # A glibc loader counts where it is not musl's own under glibc's name, as
    # Alpine's gcompat and libc6-compat make it: a glibc program needs glibc.
    libc=glibc
    for musl in /lib/ld-musl-x86_64.so.1 /lib/ld-musl-aarch64.so.1; do
      [ -e "$musl" ] || continue
      libc=musl
      for ld in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
        [ -e "$ld" ] || continue
        real="$(readlink -f "$ld" 2>/dev/null)" || real=""
        [ -n "$real" ] && [ "$real" = "$(readlink -f "$musl" 2>/dev/null)" ] || libc=glibc
      done
    done
  fi
  if [ "$libc" = musl ]; then
    [ "$os-$arch" = linux-x64 ] || fail "no musl build for $os-$arch"
    asset="blit-linux-x64-musl.tar.gz"
  else
    asset="blit-$os-$arch.tar.gz"
  fi

  if [ -n "${BLIT_DOWNLOAD_URL:-}" ]; then
    base="${BLIT_DOWNLOAD_URL%/}"
  elif [ "$version" = latest ]; then
    base="https://github.com/$REPO/releases/latest/download"
  else
    base="https://github.com/$REPO/releases/download/v$version"
  fi

  if command -v curl >/dev/null 2>&1; then
    download() { curl -fsSL --retry 3 -o "$2" "$1"; }
  elif command -v wget >/dev/null 2>&1; then
    download() { wget -q -O "$2" "$1"; }
  else
    fail "needs curl or wget"
  fi
  if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum "$1" | cut -d' ' -f1; }
  elif command -v shasum >/dev/null 2>&1; then
    sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
  else
    fail "needs sha256sum or shasum to check the download"
  fi

  bindir="$prefix/bin"
  # Before the download: a system directory (/usr/local) needs root. Asked
  # of the nearest directory there is, which mkdir -p would create the rest in.
  at="$bindir"
  while [ ! -d "$at" ]; do at="$(dirname "$at")"; done
  [ -w "$at" ] || fail "cannot write to $at: run the script as root for it (curl -fsSL .../install.sh | sudo sh -s -- --prefix $prefix)"

  tmp="$(mktemp -d 2>/dev/null || mktemp -d -t blit)"
  # The new blit beside the old one, until it is renamed over it.
  staged=""
  # Interrupted (also by a terminal or ssh session that went away): the EXIT
  # trap cleans up as the run stops, at the step it was at.
  # The directories mkdir -p makes for bindir, removed again (if empty) where nothing was installed.
  made=""
  [ -d "$bindir" ] || made="$bindir"
  trap 'rm -rf "$tmp"; [ -z "$staged" ] || rm -f "$staged"; [ -z "$made" ] || unmake "$made" "$at"' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  echo "downloading $base/$asset"
  download "$base/SHA256SUMS" "$tmp/SHA256SUMS" || fail "cannot download $base/SHA256SUMS"
  download "$base/$asset" "$tmp/$asset" || fail "cannot download $base/$asset"

  expected="$(awk -v name="$asset" '($2 == name || $2 == "*" name) { print $1 }' "$tmp/SHA256SUMS")"
  [ -n "$expected" ] || fail "SHA256SUMS has no line for $asset"
  [ "$(printf '%s\n' "$expected" | wc -l | tr -d ' ')" = 1 ] || fail "SHA256SUMS has more than one line for $asset"
  actual="$(sha256 "$tmp/$asset")"
  if [ "$actual" != "$expected" ]; then
    fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; nothing was installed"
  fi
  echo "checksum OK: $actual  $asset"

  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$asset" -C "$tmp/unpacked" blit || fail "cannot unpack $asset"
  mkdir -p "$bindir" || fail "cannot create $bindir"
  # What is said of it (the PATH advice) holds from any directory: --prefix tools is ./tools.
  bindir="$(CDPATH='' cd -- "$bindir" && pwd)" || fail "cannot enter $bindir"
  # Into place by a rename: a blit already there is replaced whole, never half-written.
  staged="$bindir/.blit.install.$$"
  if ! { cp "$tmp/unpacked/blit" "$staged" && chmod 755 "$staged"; }; then
    fail "cannot write $staged"
  fi
  # It must run here before it replaces anything: a 32-bit userland on a 64-bit
  # kernel, or a musl system without libstdc++, would get one that cannot. Run
  # where it is to stay, not from the temporary directory, which may be noexec.
  if ! said="$("$staged" --version 2>/dev/null)"; then
    hint=""
    if [ "$libc" = musl ]; then
      hint=" (the musl build needs libstdc++; Alpine: apk add libstdc++)"
    elif [ "$os" = linux ] && [ -z "${BLIT_LIBC:-}" ] && { [ -e /lib/ld-musl-x86_64.so.1 ] || [ -e /lib/ld-musl-aarch64.so.1 ]; }; then
      hint=" (where the C library is musl, BLIT_LIBC=musl picks the musl build)"
    fi
    fail "the blit in $asset does not run on this system$hint; nothing was installed"
  fi
  # A version asked for is the one installed, from a mirror too ("blit 0.1.0 (commit ...)").
  got="$(printf '%s\n' "$said" | awk 'NR == 1 { print $2 }')"
  if [ "$version" != latest ] && [ "$got" != "$version" ]; then
    fail "$base/$asset is blit $got, not the $version asked for; nothing was installed"
  fi
  mv -f "$staged" "$bindir/blit" || fail "cannot write $bindir/blit"
  staged=""
  made=""
  echo "installed $bindir/blit ($asset)"

  # The blit PATH finds is this one, or another before it, which would still
  # be the one that runs; or none. Directories are compared as they
  # resolve: PATH may spell bindir otherwise (a trailing slash, a symlink).
  resolved() { CDPATH='' cd -- "$1" 2>/dev/null && pwd -P; }
  here="$(resolved "$bindir")"
  first="$(command -v blit 2>/dev/null || true)"
  found=""
  [ -z "$first" ] || found="$(resolved "$(dirname -- "$first")")" || found=""
  if [ "$found" != "$here" ]; then
    onpath=""
    rest="$PATH:"
    while [ -n "$rest" ]; do
      dir="${rest%%:*}"
      rest="${rest#*:}"
      [ -z "$dir" ] || [ "$(resolved "$dir")" != "$here" ] || onpath=1
    done
    if [ -n "$onpath" ]; then
      echo "note: $first comes before it on your PATH, and is what 'blit' runs; remove it, or put $bindir first"
    else
      echo "note: $bindir is not on your PATH; add it, e.g. export PATH=\"$bindir:\$PATH\""
    fi
  fi
}

main "$@"
