#!/usr/bin/env python3
"""Nearest neighbours in latent space with faiss, written for `labelaudit --neighbours FILE`.

For datasets too large for labelaudit's exact all-pairs search on one machine: run this (or its
GPU / cluster equivalent) where the data lives, and hand labelaudit the file. Docs/neighbours.md
has the recipe; on the demo:

    bash Benchmarks/venv.sh      # a venv with faiss-cpu, numpy, pandas (never needed by make test)
    .bench-venv/bin/python Examples/faiss_neighbours.py Assets/demo --out .tmp/demo-neighbours.csv
    labelaudit rank Assets/demo --neighbours .tmp/demo-neighbours.csv --cache .tmp/demo-cache.sqlite

Output: a CSV `id,neighbour,distance`, the k nearest other faces of every face (train and test),
nearest first, in labelaudit's metrics: cosine distance 1 - cos(angle) (default) or Euclidean
(`--metric l2`). Each face's own row is left out. Ids are written exactly as they are in the
dataset's id column.

--index flat is exact (IndexFlatIP / IndexFlatL2, what labelaudit itself computes); --index ivf
is faiss' approximate inverted-file index for millions of rows (--nlist cells, --nprobe of them
searched per query), which trades a little recall for a lot of speed.
"""
import argparse
import os
import sys

import numpy as np
import pandas as pd


def latents(folder, id_column, label_column):
    frames = []
    for name in ("train.csv", "test.csv"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            frames.append(pd.read_csv(path, dtype={id_column: str}))
    if not frames:
        sys.exit(f"{folder}: no train.csv")
    data = pd.concat(frames, ignore_index=True)
    columns = [c for c in data.columns if c not in (id_column, label_column) and pd.api.types.is_numeric_dtype(data[c])]
    return data[id_column].astype(str).tolist(), np.ascontiguousarray(data[columns].to_numpy(dtype=np.float32))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="folder with train.csv (and test.csv): id, latent columns, label")
    parser.add_argument("--out", required=True, help="where to write id,neighbour,distance")
    parser.add_argument("--k", type=int, default=10, help="neighbours per face (default 10)")
    parser.add_argument("--metric", choices=["cosine", "l2"], default="cosine")
    parser.add_argument("--index", choices=["flat", "ivf"], default="flat")
    parser.add_argument("--nlist", type=int, default=1024)
    parser.add_argument("--nprobe", type=int, default=32)
    parser.add_argument("--id-column", default="id")
    parser.add_argument("--label-column", default="glasses")
    args = parser.parse_args()

    import faiss

    ids, x = latents(args.dataset, args.id_column, args.label_column)
    n, dim = x.shape
    if args.metric == "cosine":
        faiss.normalize_L2(x)  # inner product of unit vectors = cos(angle)
        flat = faiss.IndexFlatIP(dim)
    else:
        flat = faiss.IndexFlatL2(dim)
    if args.index == "ivf":
        kind = faiss.METRIC_INNER_PRODUCT if args.metric == "cosine" else faiss.METRIC_L2
        index = faiss.IndexIVFFlat(flat, dim, min(args.nlist, max(1, n // 39)), kind)
        index.train(x)
        index.nprobe = args.nprobe
    else:
        index = flat
    index.add(x)
    scores, found = index.search(x, args.k + 1)

    rows, others, distances = [], [], []
    for row in range(n):
        kept = 0
        for score, other in zip(scores[row], found[row]):
            if other < 0 or other == row or kept == args.k:
                continue  # faiss lists the face itself first; -1 pads short answers
            rows.append(row)
            others.append(other)
            # labelaudit's distances: 1 - cos for cosine, the Euclidean distance for l2
            # (faiss' IndexFlatL2 returns squared distances).
            distances.append(max(0.0, 1.0 - float(score)) if args.metric == "cosine" else float(np.sqrt(max(0.0, score))))
            kept += 1
    id_array = np.array(ids, dtype=object)
    out = pd.DataFrame({"id": id_array[rows], "neighbour": id_array[others], "distance": distances})
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    out.to_csv(args.out, index=False, float_format="%.6f")
    print(f"{args.out}: {len(out)} pairs, {n} faces, k = {args.k}, {args.metric}, {args.index} index", file=sys.stderr)


if __name__ == "__main__":
    main()
