#!/usr/bin/python3
"""Convert Debian's Fashion-MNIST (package dataset-fashion-mnist) to .npy.

Writes OUT/{train,test}_{images,labels}.npy: images uint8 [N,1,28,28],
labels int64 [N]. The output is large (~55 MB) and is not committed; it is
for local experiments with `dnnc eval` / `dnnc finetune` on the full set.

Also imported by make_fixtures.py for its IDX reader.

Usage: tools/fashion_to_npy.py [--src DIR] [--out DIR]
"""
import argparse
import gzip
import os
import struct

import numpy as np

DEFAULT_SRC = "/usr/share/datasets/fashion-mnist"

# IDX type codes (http://yann.lecun.com/exdb/mnist/); Fashion-MNIST uses only ubyte.
_IDX_UBYTE = 0x08

_FILES = {
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path):
    """Read a gzipped IDX file of unsigned bytes into an ndarray of its stored shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != _IDX_UBYTE:
        raise ValueError(f"{path}: not a ubyte IDX file (header {data[:4].hex()})")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {np.prod(dims)} bytes of data, got {body.size}")
    return body.reshape(dims)


def load_split(split, src=DEFAULT_SRC):
    """Return (images uint8 [N,1,28,28], labels int64 [N]) for split 'train' or 'test'."""
    images = read_idx(os.path.join(src, _FILES[(split, "images")]))
    labels = read_idx(os.path.join(src, _FILES[(split, "labels")]))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    # NCHW with one channel is what every dnnc model here takes.
    return images[:, None, :, :].copy(), labels.astype(np.int64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=DEFAULT_SRC, help="directory with the IDX .gz files")
    ap.add_argument("--out", default="build/fashion", help="output directory")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    for split in ("train", "test"):
        images, labels = load_split(split, args.src)
        for kind, arr in (("images", images), ("labels", labels)):
            path = os.path.join(args.out, f"{split}_{kind}.npy")
            np.save(path, arr)
            print(f"{path}: {arr.dtype} {list(arr.shape)}")


if __name__ == "__main__":
    main()
