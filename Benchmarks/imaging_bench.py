#!/usr/bin/env python3
"""Imaging bars (issues 4 and 14): `labelaudit render` beside chafa 1.12, measured in the same run.

    python Benchmarks/imaging_bench.py --faces DIR [--faces DIR ...] --photos DIR [--bin .build/release/labelaudit]

1. Glyph fidelity per glyph class (ours half / quad / sextant against chafa's half / half+quad /
   sextant), truecolor and 256 colours (chafa -c 256; its palette indices 0-15 are read with
   chafa's own assumption of their colours, the reading most favourable to chafa), at 40x20,
   80x40 and in the eye band at 110x20: median SSIM over the pictures, scored by
   render-fidelity's fidelity.score. Bar: ours >= chafa, per class, colour mode, size and set.
2. Colour: mean CIEDE2000 (scikit-image) of the reconstruction against the source, per pixel of
   the 6x12 px/cell reconstruction and after 6x6 averaging (about what is seen from a little
   further away), ours beside chafa's, quad class, 40x20 and 80x40. Bar: ours <= chafa in 256.
3. The eye band as the inspect view will show it (190x30 and 110x20 cells) beside today's zoom
   (half blocks, 88x15): cells x sub-cells shown and median SSIM against the source's eye band.
4. Speed: whole process from exec to exit (median of interleaved runs) at 40x20 and 200x60,
   ours against chafa's (bar: ours < chafa); in process, decode + render of one face per class
   and colour mode at 200x60 (what the app does per key press), and the sixel / kitty encoders.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

FIDELITY_DIR = os.environ.get("RENDER_FIDELITY", "/work/shared/tools/render-fidelity")
sys.path.insert(0, FIDELITY_DIR)
import fidelity  # noqa: E402

CLASSES = [("half", "half"), ("quad", "half+quad"), ("sextant", "sextant")]
COLOURS = [("truecolor", "full"), ("256", "256")]
BAND = (0.16, 0.34, 0.84, 0.58)      # EyeBand.standard: x0, y0, x1, y1 as fractions
SUBCELLS = {"half": 2, "quad": 4, "sextant": 6}
BIN = ".build/release/labelaudit"
CROPS = tempfile.mkdtemp(prefix="labelaudit-bench-eyes-")


def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def pictures(folder, count):
    if os.path.isdir(os.path.join(folder, "images")):
        folder = os.path.join(folder, "images")
    names = sorted((n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg"))), key=natural_key)
    return [os.path.join(folder, n) for n in names[:count]]


def filled_band(cols, rows, width, height):
    """EyeBand.filling: the standard band reshaped about its centre to the box's aspect."""
    x0, y0, x1, y1 = BAND
    wanted = min(int(round((x1 - x0) * width) / (cols / (2 * rows))) / height, 1)
    centre = (y0 + y1) / 2
    top, bottom = centre - wanted / 2, centre + wanted / 2
    if top < 0:
        bottom, top = bottom - top, 0
    if bottom > 1:
        top, bottom = top - (bottom - 1), 1
    return (x0, max(top, 0), x1, min(bottom, 1))


def eye_band(path, band=BAND):
    """The source's eye band as its own PNG (rounded like EyeBand.crop), for chafa and the score."""
    out = os.path.join(CROPS, re.sub(r"[^A-Za-z0-9]", "_", path) + "-" + "-".join(f"{f:.4f}" for f in band) + ".png")
    if not os.path.exists(out):
        image = Image.open(path).convert("RGB")
        w, h = image.size
        image.crop(tuple(int(round(f * s)) for f, s in zip(band, (w, h, w, h)))).save(out)
    return out


def ours_cmd(binary, image, cols, rows, symbols, colors, eyes=False):
    return [binary, "render", image, "--cols", str(cols), "--rows", str(rows), "--symbols", symbols,
            "--colors", colors, "--graphics", "off"] + (["--zoom", "eyes"] if eyes else [])


def chafa_cmd(image, cols, rows, symbols, colors):
    return ["chafa", "-f", "symbols", "--size", f"{cols}x{rows}", "-c", colors, "--symbols", symbols,
            "--dither", "none", "--polite", "on", "--animate", "off", image]


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stderr.decode(errors='replace')}")
    return result.stdout


def ciede(ref, rec, block=1):
    if block > 1:
        h, w = ref.shape[0] // block * block, ref.shape[1] // block * block
        ref = ref[:h, :w].reshape(h // block, block, w // block, block, 3).mean(axis=(1, 3))
        rec = rec[:h, :w].reshape(h // block, block, w // block, block, 3).mean(axis=(1, 3))
    return float(deltaE_ciede2000(rgb2lab(ref / 255.0), rgb2lab(rec / 255.0)).mean())


def score_job(job):
    """One picture, one tool, one configuration -> (ssim, psnr, dE pixel, dE coarse)."""
    tool, binary, image, cols, rows, symbols, colors, eyes, colour_error = job
    if eyes == "fill":
        width, height = Image.open(image).size
        source = eye_band(image, filled_band(cols, rows, width, height))
    else:
        source = eye_band(image) if eyes else image
    if tool == "ours" and eyes == "fill":
        ansi = run(ours_cmd(binary, image, cols, rows, symbols, colors) + ["--zoom", "eyes-fill"])
    elif tool == "ours":
        ansi = run(ours_cmd(binary, image, cols, rows, symbols, colors, eyes))
    else:
        ansi = run(chafa_cmd(source, cols, rows, symbols, colors))
    palette16 = "chafa" if tool == "chafa" and colors == "256" else "xterm"
    if not colour_error:
        scored = fidelity.score(source, ansi, cols, rows, palette16=palette16)
        return scored["ssim"], scored["psnr"], None, None
    prefix = os.path.join(CROPS, f"score-{os.getpid()}")
    scored = fidelity.score(source, ansi, cols, rows, palette16=palette16, save_prefix=prefix)
    ref = np.asarray(Image.open(prefix + "_ref.png").convert("RGB"), dtype=np.float64)
    rec = np.asarray(Image.open(prefix + "_rec.png").convert("RGB"), dtype=np.float64)
    return scored["ssim"], scored["psnr"], ciede(ref, rec), ciede(ref, rec, 6)


def medians(pool, tool, binary, images, cols, rows, symbols, colors, eyes=False, colour_error=False):
    results = pool.map(score_job, [(tool, binary, i, cols, rows, symbols, colors, eyes, colour_error) for i in images])
    out = {"ssim": statistics.median(r[0] for r in results), "psnr": statistics.median(r[1] for r in results)}
    if colour_error:
        out["de"] = statistics.mean(r[2] for r in results)
        out["de_coarse"] = statistics.mean(r[3] for r in results)
    return out


def timed_runs(commands, repeats):
    """Interleaved runs of each command; per command the median wall and CPU (user+sys) in ms."""
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for cmd in commands:
        run(cmd)
    for _ in range(repeats):
        for index, cmd in enumerate(commands):
            start = time.perf_counter()
            child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            walls[index].append((time.perf_counter() - start) * 1000)
            cpus[index].append((usage.ru_utime + usage.ru_stime) * 1000)
            child.returncode = 0
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", action="append", default=[], help="a folder of face JPEGs (repeatable)")
    parser.add_argument("--photos", help="a folder of photographs (Benchmarks/imaging_photos.py)")
    parser.add_argument("--bin", default=BIN)
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    sets = [(os.path.basename(os.path.dirname(f.rstrip("/"))) if f.rstrip("/").endswith("images") else os.path.basename(f.rstrip("/")),
             pictures(f, args.count), True) for f in args.faces]
    if args.photos:
        sets.append(("photos", pictures(args.photos, args.count), False))
    sets = [s for s in sets if s[1]]
    if not sets:
        raise SystemExit("no pictures")
    print(f"imaging bench: ours = {args.bin}; chafa = {run(['chafa', '--version']).decode().splitlines()[0]}; "
          + ", ".join(f"{name}: {len(images)}" for name, images, _ in sets))
    failures = []
    with Pool(2) as pool:
        print("\n## 1. Glyph fidelity: median SSIM, ours vs chafa, same class (bar: ours >= chafa)")
        print(f"{'set':>10} {'size':>10} {'colours':>9} {'class':>8} {'ours':>8} {'chafa':>8} {'diff':>8}"
              f" {'PSNR ours':>10} {'chafa':>7}  bar")
        for name, images, _ in sets:
            for cols, rows, eyes in [(40, 20, False), (80, 40, False), (110, 20, True)]:
                for ours_colors, chafa_colors in COLOURS:
                    for ours_set, chafa_set in CLASSES:
                        ours = medians(pool, "ours", args.bin, images, cols, rows, ours_set, ours_colors, eyes)
                        theirs = medians(pool, "chafa", args.bin, images, cols, rows, chafa_set, chafa_colors, eyes)
                        ok = ours["ssim"] >= theirs["ssim"]
                        size = f"{cols}x{rows}" + (" eyes" if eyes else "")
                        if not ok:
                            failures.append(f"SSIM {name} {size} {ours_colors} {ours_set}")
                        print(f"{name:>10} {size:>10} {ours_colors:>9} {ours_set:>8} {ours['ssim']:>8.4f} "
                              f"{theirs['ssim']:>8.4f} {ours['ssim'] - theirs['ssim']:>+8.4f} {ours['psnr']:>10.2f} "
                              f"{theirs['psnr']:>7.2f}  {'ok' if ok else 'MISSED'}", flush=True)

        print("\n## 2. Colour: mean CIEDE2000 of the reconstruction (quad class; pixel = 6x12 px cells,"
              " coarse = 6x6 px means); bar in 256 colours: ours <= chafa")
        print(f"{'set':>10} {'size':>6} {'colours':>9} {'dE ours':>8} {'chafa':>7} {'coarse ours':>12} {'chafa':>7}  bar")
        for name, images, _ in sets:
            for cols, rows in [(40, 20), (80, 40)]:
                for ours_colors, chafa_colors in COLOURS:
                    ours = medians(pool, "ours", args.bin, images, cols, rows, "quad", ours_colors, colour_error=True)
                    theirs = medians(pool, "chafa", args.bin, images, cols, rows, "half+quad", chafa_colors, colour_error=True)
                    ok = ours_colors != "256" or ours["de"] <= theirs["de"]
                    if not ok:
                        failures.append(f"CIEDE2000 {name} {cols}x{rows}")
                    print(f"{name:>10} {cols}x{rows:<3} {ours_colors:>9} {ours['de']:>8.2f} {theirs['de']:>7.2f} "
                          f"{ours['de_coarse']:>12.2f} {theirs['de_coarse']:>7.2f}  {'ok' if ok else 'MISSED' if ours_colors == '256' else '-'}",
                          flush=True)

        print("\n## 3. Eye band as the inspect view shows it, beside today's zoom (half blocks, 88x15);"
              " SSIM against the source's eye band")
        for name, images, is_faces in sets:
            if not is_faces:
                continue
            for cols, rows, symbols, fill, label in [
                    (88, 15, "half", False, "today: zoom in the face pane at 200x60"),
                    (190, 30, "quad", False, "200x60, standard band"), (190, 30, "quad", True, "inspect 200x60, band filling the width"),
                    (190, 30, "sextant", True, "inspect 200x60, band filling the width"),
                    (110, 20, "quad", True, "inspect 120x40, band filling the width"),
                    (110, 20, "sextant", True, "inspect 120x40, band filling the width"),
                    (70, 10, "quad", True, "inspect 80x24, band filling the width")]:
                width, height = Image.open(images[0]).size
                band = filled_band(cols, rows, width, height) if fill else BAND
                band_w, band_h = round((band[2] - band[0]) * width), round((band[3] - band[1]) * height)
                grid = fidelity.chafa_grid(band_w, band_h, cols, rows)
                ours = medians(pool, "ours", args.bin, images, cols, rows, symbols, "truecolor", eyes="fill" if fill else True)
                shown = grid[0] * grid[1] * SUBCELLS[symbols]
                print(f"{name:>10} {cols}x{rows:<3} {symbols:>8}: {grid[0]}x{grid[1]} cells x {SUBCELLS[symbols]} = "
                      f"{shown:>6} sub-cells, median SSIM {ours['ssim']:.4f}  ({label})", flush=True)

    print("\n## 4. Speed")
    print(f"  load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times inflate under load)")
    face = sets[0][1][0]
    for cols, rows in [(40, 20), (200, 60)]:
        for ours_set, chafa_set in CLASSES:
            (ours_ms, ours_cpu), (chafa_ms, chafa_cpu) = timed_runs(
                [ours_cmd(args.bin, face, cols, rows, ours_set, "truecolor"), chafa_cmd(face, cols, rows, chafa_set, "full")],
                args.repeats)
            ok = ours_ms < chafa_ms
            if not ok:
                failures.append(f"process time {cols}x{rows} {ours_set}")
            print(f"  whole process {cols}x{rows} {ours_set:>8}: ours {ours_ms:6.2f} ms, chafa ({chafa_set}) {chafa_ms:6.2f} ms, "
                  f"ratio {ours_ms / chafa_ms:.3f} (bar < 1) {'ok' if ok else 'MISSED'}; cpu {ours_cpu:.2f} vs {chafa_cpu:.2f} ms")
    strip = sets[0][1][:8]
    for ours_set, _ in CLASSES:
        for colors in ["truecolor", "256"]:
            out = run([args.bin, "render", face, "--cols", "200", "--rows", "60", "--symbols", ours_set,
                       "--colors", colors, "--bench", "60", "--bench-strip", *strip]).decode()
            f = {k: float(v) for k, v in (pair.split("=") for pair in out.split())}
            print(f"  in process, decode + render one face in a 200x60 box, {ours_set:>8} {colors:>9}: "
                  f"{f['render_ms']:6.2f} ms wall, {f['render_cpu_ms']:6.2f} ms cpu (decode alone {f['decode_cpu_ms']:.2f} ms cpu)")
    for cols, rows in [(60, 30), (120, 60)]:
        out = run([args.bin, "render", face, "--cols", str(cols), "--rows", str(rows), "--cell-pixels", "10x20",
                   "--bench", "15"]).decode()
        f = {k: float(v) for k, v in (pair.split("=") for pair in out.split())}
        print(f"  in process, decode + encode one face for {cols}x{rows} cells of 10x20 px ({cols * 10}x{rows * 20} px box): "
              f"sixel {f['sixel_ms']:6.2f} ms wall / {f['sixel_cpu_ms']:6.2f} ms cpu, "
              f"kitty {f['kitty_ms']:6.2f} ms wall / {f['kitty_cpu_ms']:6.2f} ms cpu")

    print("\nall bars met" if not failures else "\nbars missed: " + ", ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
