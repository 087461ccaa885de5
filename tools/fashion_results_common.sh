# Sourced by the tools/results_*.sh scripts: the dnnc binary, the bundled Fashion-MNIST data and its
# preprocessing, a temporary folder removed on exit, and acc MODEL -> test top-1 (%) on the 2,000
# bundled test images. Expects BUILD to be set.
DNNC="$BUILD/cli/dnnc"
DATA=test/data
PRE="--scale 1/255 --mean 0.2860 --std 0.3530"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
acc() { "$DNNC" eval "$1" --data $DATA/fashion_test_2000_images.npy --labels $DATA/fashion_test_2000_labels.npy $PRE --json -q |
        /usr/bin/python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["top1"]))'; }
