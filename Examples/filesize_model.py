#!/usr/bin/env python3
"""A toy external model for `labelaudit rerun --model cmd`.

IT SHOWS THE PROTOCOL. IT IS NOT A REAL MODEL.

It needs nothing but the Python standard library, which cannot decode JPEG, so it does not look
at the pixels at all: its only feature is the logarithm of each image file's size in bytes.
Frames add sharp edges and edges cost JPEG bytes, so on the demo faces the size carries a weak
signal (AUROC about 0.68 against the truth of Assets/demo); on real photographs it means little.
Replace it with your own classifier; keep the protocol:

  stdin   one JSON object per line, then end of file:
            {"id": "30", "image": "/abs/path/face-30.jpg", "label": 1}
          "image" is null when the row has no image file; "label" is the label after the
          reviewers' corrections, null for a row they dropped (bad_image, or unsure with
          --unsure drop). Every train row is sent.
  stdout  one JSON object per id, in any order, flushed as you go (labelaudit shows progress
          as lines come back):
            {"id": "30", "p": 0.93}
          p is P(label = 1), within [0, 1]. Nothing else may be printed on stdout.
  stderr  free text; labelaudit appends it to a log file beside its cache database.
  exit    0 when every id was answered.

Predictions for train rows should be out of fold (a row is predicted by a model that did not
see its label), otherwise they hide the very label errors the audit looks for: this script
fits a one-feature logistic regression on 5 folds and predicts each fold with the other four.
Rows without a label are predicted by the fit on all labelled rows.

Usage: labelaudit rerun DATASET --model cmd --model-cmd 'python3 Examples/filesize_model.py'
"""
import json
import math
import os
import sys

FOLDS = 5


def feature(path):
    """log(file size in bytes), or None when there is no readable file."""
    try:
        return math.log(max(1, os.path.getsize(path))) if path else None
    except OSError:
        return None


def fit(points):
    """Logistic regression p = 1 / (1 + exp(-(a * x + b))) by Newton's method, lightly regularised."""
    if not points:
        return 0.0, 0.0
    mean = sum(x for x, _ in points) / len(points)
    a, b = 0.0, 0.0
    for _ in range(25):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in points:
            xc = x - mean
            p = 1.0 / (1.0 + math.exp(-(a * xc + b)))
            w = p * (1.0 - p)
            ga += (p - y) * xc
            gb += p - y
            haa += w * xc * xc
            hab += w * xc
            hbb += w
        ga += 1e-3 * a
        haa += 1e-3
        hbb += 1e-9
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        a -= (hbb * ga - hab * gb) / det
        b -= (haa * gb - hab * ga) / det
    return a, b - a * mean


def predict(model, x, prior):
    if x is None:
        return prior
    a, b = model
    z = max(-30.0, min(30.0, a * x + b))
    return 1.0 / (1.0 + math.exp(-z))


def main():
    rows = []
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        item = json.loads(line)
        rows.append((item["id"], feature(item.get("image")), item.get("label")))
    print(f"filesize_model: {len(rows)} rows read", file=sys.stderr)
    labelled = [(i, x, y) for i, (_, x, y) in enumerate(rows) if y is not None]
    prior = (sum(y for _, _, y in labelled) / len(labelled)) if labelled else 0.5
    fold_of = {i: k % FOLDS for k, (i, _, _) in enumerate(labelled)}
    models = [fit([(x, y) for i, x, y in labelled if fold_of[i] != f and x is not None]) for f in range(FOLDS)]
    full = fit([(x, y) for _, x, y in labelled if x is not None])
    for i, (item_id, x, _) in enumerate(rows):
        model = models[fold_of[i]] if i in fold_of else full
        print(json.dumps({"id": item_id, "p": round(predict(model, x, prior), 6)}), flush=True)


if __name__ == "__main__":
    main()
