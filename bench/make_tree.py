#!/usr/bin/env python3
"""make_tree.py ROOT FILES DIRS: FILES files of 1 KiB spread evenly over DIRS directories d0000.. (files f0000..),
each a different slice of one random MiB, so that no two files are alike. The benchmarks' shared test tree."""
import os
import sys

root, files, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blob = os.urandom(1 << 20)
per = files // dirs
for d in range(dirs):
    dp = os.path.join(root, f"d{d:04d}")
    os.makedirs(dp, exist_ok=True)
    for f in range(per):
        off = ((d * per + f) * 1031) % ((1 << 20) - 1024)
        with open(os.path.join(dp, f"f{f:04d}"), "wb") as fh:
            fh.write(blob[off:off + 1024])
