"""Reference for Benchmarks/demo.sh: Pillow decodes and re-encodes (quality 90) the same JPEG
files our generator wrote, on the same number of processes. This is only the cost of touching the
pixels with a standard tool (no drawing at all), so it is a floor for any generator, not a rival.

Usage: python demo_reference.py IMAGES_DIR WORKERS  -> prints seconds (wall) and the file count.
"""
import io
import os
import sys
import time
from multiprocessing import Pool

from PIL import Image


def roundtrip(path):
    with Image.open(path) as im:
        im = im.convert("RGB")
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=90)
        return len(buf.getvalue())


def main():
    folder, workers = sys.argv[1], int(sys.argv[2])
    paths = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".jpg"))
    start = time.perf_counter()
    with Pool(workers) as pool:
        total = sum(pool.map(roundtrip, paths, chunksize=16))
    seconds = time.perf_counter() - start
    print(f"{seconds:.3f} {len(paths)} {total}")


if __name__ == "__main__":
    main()
