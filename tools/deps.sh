#!/bin/sh
# Installs the Debian packages dnnc needs to build and test, or prints the exact command when not root.
# Used by `make demo` and `make test`; safe to run repeatedly (does nothing when all are present).
set -eu
PACKAGES="cmake ninja-build g++ make pkg-config ccache libcli11-dev libprotobuf-dev protobuf-compiler libonnx-dev \
libeigen3-dev libzstd-dev catch2 libyaml-cpp-dev nlohmann-json3-dev libonnx-testdata xz-utils zstd"

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "dnnc: installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
else
  echo "dnnc: missing Debian packages:$missing" >&2
  echo "run:  sudo apt-get install -y$missing" >&2
  exit 1
fi
