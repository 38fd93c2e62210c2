#!/usr/bin/env python3
"""Fallback bench pictures when no demo faces exist yet: scikit-image and scikit-learn sample
photographs, centre-cropped square and resized to 1024x1024 JPEG (q90), like the real faces.

    python Benchmarks/imaging_photos.py OUT_DIR
"""
import os
import sys

import numpy as np
from PIL import Image
import skimage.data
from sklearn.datasets import load_sample_images

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
arrays = []
for name in ["astronaut", "chelsea", "coffee", "rocket", "retina", "hubble_deep_field", "immunohistochemistry",
             "motorcycle_left", "cat", "colorwheel"]:
    try:
        arrays.append(getattr(skimage.data, name)())
    except Exception:                                 # data not shipped in this version
        pass
arrays += list(load_sample_images().images)
count = 0
for array in arrays:
    image = Image.fromarray(np.asarray(array)).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((1024, 1024), Image.LANCZOS)
    count += 1
    image.save(os.path.join(out, f"photo-{count}.jpg"), quality=90)
print(f"{count} photos in {out}")
