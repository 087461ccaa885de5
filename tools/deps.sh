#!/bin/sh
# Installs the Debian packages dnnc needs, or prints the exact command when not root.
#   deps.sh build   what building dnnc and its tests needs (`make demo`, `make build`); python3 runs the
#                   layering check (tools/check_layering.py) that every library area's build step ends with
#   deps.sh test    that, plus what the test suite's references need (`make test`): libonnx-testdata (ONNX's
#                   backend node tests), python3-torch/torchvision/onnx/numpy (tools/make_zoo.py exports the
#                   torchvision zoo with PyTorch's outputs) and node/npm (tools/ort-install.sh installs
#                   ONNX Runtime for Node, the reference runtime), groff-base (the install test renders the
#                   generated man pages), parallel (the batch test runs shards under GNU parallel), chromium
#                   and fonts-liberation (the HTML reports are checked in headless Chromium; its fonts are
#                   only a recommendation of the package)
# Safe to run repeatedly: does nothing when all are present.
set -eu
MODE=${1:-build}
BUILD_PACKAGES="cmake ninja-build g++ make pkg-config ccache libcli11-dev libprotobuf-dev protobuf-compiler \
libonnx-dev libeigen3-dev libzstd-dev catch2 libyaml-cpp-dev nlohmann-json3-dev xz-utils zstd python3"
TEST_PACKAGES="libonnx-testdata python3-torch python3-torchvision python3-onnx python3-numpy groff-base parallel \
chromium fonts-liberation"
# Debian's npm needs Debian's nodejs and conflicts with the nodejs of other sources (NodeSource's ships its
# own npm): where some npm is already on PATH, that one installs ONNX Runtime.
if ! command -v npm >/dev/null 2>&1; then
  TEST_PACKAGES="$TEST_PACKAGES nodejs npm"
fi

case "$MODE" in
  build) PACKAGES=$BUILD_PACKAGES ;;
  test) PACKAGES="$BUILD_PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: tools/deps.sh build|test" >&2; exit 2 ;;
esac

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

root=false
[ "$(id -u)" -eq 0 ] && root=true
if $root; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
fi
# A test package this release or architecture does not have (python3-torch is not built everywhere) is
# left out, and named: only the checks that need it skip, each with a message. Build packages are required.
install=""
for p in $missing; do
  if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
    install="$install $p"
  else
    case " $BUILD_PACKAGES " in
      *" $p "*)
        if $root; then echo "dnnc: Debian package $p is not available here: cannot build dnnc" >&2; exit 1; fi
        install="$install $p" ;;
      *) hint=""; $root || hint=" (if apt's lists are stale: sudo apt-get update, then again)"
         echo "dnnc: Debian package $p is not available here: the tests that need it will be skipped$hint" >&2 ;;
    esac
  fi
done
[ -z "$install" ] && exit 0

if ! $root; then
  echo "dnnc: missing Debian packages:$install" >&2
  echo "run:  sudo apt-get install -y --no-install-recommends$install" >&2
  exit 1
fi
echo "dnnc: installing Debian packages:$install" >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $install >&2
