"""Sanity check of a generated demo against the contracts other modules rely on, with reference
tools: scikit-image HOG on the eye band (x 0.16-0.84, y 0.34-0.58) + scikit-learn logistic
regression should see the drawn glasses; logistic regression on the latent vectors should learn
the label rule. Cross-validated accuracy, per glasses style.

Usage: python demo_check.py DATASET_DIR [TRUTH_DIR]   (default truth: DATASET_DIR-truth)
"""
import os
import sys

import numpy as np
import pandas as pd
from PIL import Image
from skimage.feature import hog
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict


def main():
    root = sys.argv[1].rstrip("/")
    truth_dir = sys.argv[2] if len(sys.argv) > 2 else root + "-truth"
    train = pd.read_csv(os.path.join(root, "train.csv"))
    truth = pd.read_csv(os.path.join(truth_dir, "truth.csv")).set_index("id").loc[train["id"]]
    features = []
    for face_id in train["id"]:
        with Image.open(os.path.join(root, "images", f"face-{face_id}.jpg")) as im:
            w, h = im.size
            band = im.convert("L").crop((int(0.16 * w), int(0.34 * h), int(0.84 * w), int(0.58 * h)))
            band = band.resize((128, 48), Image.BILINEAR)
            features.append(hog(np.asarray(band, dtype=np.float32) / 255, orientations=9,
                                pixels_per_cell=(8, 8), cells_per_block=(2, 2)))
    x_img = np.array(features)
    drawn = truth["image_has_glasses"].to_numpy()
    pred = cross_val_predict(LogisticRegression(C=0.1, max_iter=2000), x_img, drawn, cv=5)
    print(f"HOG eye band + logistic regression, 5-fold, vs drawn glasses: accuracy {np.mean(pred == drawn):.3f}")
    styles = truth["style"].to_numpy()
    for style in sorted(set(styles)):
        mask = styles == style
        print(f"  {style:11s} n={mask.sum():4d}  accuracy {np.mean(pred[mask] == drawn[mask]):.3f}")
    latents = train[[c for c in train.columns if c.startswith("v")]].to_numpy()
    label = train["glasses"].to_numpy()
    pz = cross_val_predict(LogisticRegression(C=1.0, max_iter=5000), latents, label, cv=5)
    print(f"latent logistic regression, 5-fold, vs label: accuracy {np.mean(pz == label):.3f}")
    print(f"label prevalence {label.mean():.3f}; pictures disagreeing with label {truth['flipped'].mean():.3f}")


if __name__ == "__main__":
    main()
