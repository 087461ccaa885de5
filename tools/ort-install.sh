#!/bin/sh
# Installs ONNX Runtime for Node (npm onnxruntime-node) into DIR for the integration tests.
# --ignore-scripts: its install script downloads extras; the CPU library ships in the package.
set -eu
DIR=${1:-build/ort}
VERSION=1.30.0
if ! command -v npm >/dev/null 2>&1; then
  echo "dnnc: npm not found: ONNX Runtime integration tests will be skipped (apt-get install nodejs npm)" >&2
  exit 0
fi
if [ -f "$DIR/node_modules/onnxruntime-node/package.json" ] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/onnxruntime-node/package.json"; then
  exit 0
fi
mkdir -p "$DIR"
echo "dnnc: installing onnxruntime-node $VERSION into $DIR" >&2
( cd "$DIR" && npm install --silent --no-audit --no-fund --ignore-scripts "onnxruntime-node@$VERSION" >&2 ) || \
  echo "dnnc: could not install onnxruntime-node: ONNX Runtime integration tests will be skipped" >&2
