#!/usr/bin/env python3
"""Imaging bars (issue 4): fidelity and speed of `labelaudit render` beside chafa, same run.

    python Benchmarks/imaging_bench.py IMAGES_DIR [--bin .build/release/labelaudit] [--count 20]

Fidelity: median SSIM/PSNR over the first COUNT JPEGs of IMAGES_DIR (natural sort), scored by
render-fidelity's fidelity.score, at 40x20 and 80x40, truecolor per symbol set against chafa's
comparable set, and 256 colours against chafa -c 240.
Speed: whole process (median wall time of interleaved runs) at 40x20 for both tools, and the
in-process figures of `labelaudit render --bench` (decode+render of one face, strip of 8 at 16x8).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

FIDELITY_DIR = os.environ.get("RENDER_FIDELITY", "/work/shared/tools/render-fidelity")
sys.path.insert(0, FIDELITY_DIR)
import fidelity  # noqa: E402

# our symbol set -> chafa's comparable set (chafa's "quad" lacks the halves; see the fidelity README)
SETS = [("half", "vhalf"), ("quad", "half+quad"), ("sextant", "sextant")]
SIZES = [(40, 20), (80, 40)]


def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def ours_cmd(binary, image, cols, rows, symbols, colors):
    return [binary, "render", image, "--cols", str(cols), "--rows", str(rows),
            "--symbols", symbols, "--colors", colors]


def chafa_cmd(image, cols, rows, symbols, colors):
    return ["chafa", "-f", "symbols", "--size", f"{cols}x{rows}", "-c", colors, "--symbols", symbols,
            "--dither", "none", "--polite", "on", "--animate", "off", image]


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stderr.decode(errors='replace')}")
    return result.stdout


def median_scores(images, make_cmd, cols, rows):
    ssims, psnrs = [], []
    for image in images:
        scored = fidelity.score(image, run(make_cmd(image)), cols, rows)
        ssims.append(scored["ssim"])
        psnrs.append(scored["psnr"])
    return statistics.median(ssims), statistics.median(psnrs)


def timed_runs(commands, repeats):
    """Interleaved runs of each command, so drift hits all alike. Returns per command the
    median wall time and the median CPU time (user + system, from wait4), in ms."""
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for cmd in commands:                                  # warm the page cache
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
    parser.add_argument("images")
    parser.add_argument("--bin", default=".build/release/labelaudit")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()

    if os.path.isdir(os.path.join(args.images, "images")):   # a dataset folder: use its images/
        args.images = os.path.join(args.images, "images")
    names = sorted((n for n in os.listdir(args.images) if n.lower().endswith((".jpg", ".jpeg"))), key=natural_key)
    images = [os.path.join(args.images, n) for n in names[:args.count]]
    if not images:
        raise SystemExit(f"no JPEG files in {args.images}")
    print(f"imaging bench: {len(images)} images from {args.images}; ours = {args.bin}; "
          f"chafa = {run(['chafa', '--version']).decode().splitlines()[0]}")

    failures = []
    print("\n## Fidelity (median over the images; SSIM is the bar, PSNR for information)")
    print(f"{'size':>6} {'colours':>9} {'ours':>8} {'chafa':>10} {'SSIM ours':>10} {'SSIM chafa':>11} {'ratio':>6} "
          f"{'PSNR ours':>10} {'PSNR chafa':>11}  bar")
    for cols, rows in SIZES:
        for colors_ours, colors_chafa in (("truecolor", "full"), ("256", "240")):
            for ours_set, chafa_set in SETS:
                ours = median_scores(images, lambda i: ours_cmd(args.bin, i, cols, rows, ours_set, colors_ours), cols, rows)
                theirs = median_scores(images, lambda i: chafa_cmd(i, cols, rows, chafa_set, colors_chafa), cols, rows)
                ok = ours[0] >= theirs[0]
                if not ok:
                    failures.append(f"fidelity {cols}x{rows} {colors_ours} {ours_set}")
                print(f"{cols}x{rows:<3} {colors_ours:>9} {ours_set:>8} {chafa_set:>10} {ours[0]:>10.4f} {theirs[0]:>11.4f} "
                      f"{ours[0] / theirs[0]:>6.3f} {ours[1]:>10.2f} {theirs[1]:>11.2f}  {'ok' if ok else 'MISSED'}")

    print("\n## Speed, whole process, 40x20 truecolor (median of interleaved runs; wall is the bar, CPU = user+sys)")
    print(f"  load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times inflate under load)")
    face = images[0]
    for ours_set, chafa_set in SETS:
        (ours_ms, ours_cpu), (chafa_ms, chafa_cpu) = timed_runs(
            [ours_cmd(args.bin, face, 40, 20, ours_set, "truecolor"), chafa_cmd(face, 40, 20, chafa_set, "full")], args.repeats)
        ok = ours_ms <= 0.5 * chafa_ms
        if not ok:
            failures.append(f"process time {ours_set}")
        print(f"  {ours_set:>8} wall: ours {ours_ms:6.2f} ms  chafa ({chafa_set}) {chafa_ms:6.2f} ms  ratio {ours_ms / chafa_ms:.3f} "
              f"(bar <= 0.5) {'ok' if ok else 'MISSED'}   cpu: ours {ours_cpu:5.2f} ms  chafa {chafa_cpu:5.2f} ms  "
              f"ratio {ours_cpu / chafa_cpu:.3f}")

    print("\n## Speed, in process (labelaudit render --bench: median of 200; wall is the bar, CPU for information)")
    strip = images[:8] if len(images) >= 8 else [face] * 8
    for ours_set, _ in SETS:
        out = run([args.bin, "render", face, "--cols", "40", "--rows", "20", "--symbols", ours_set,
                   "--colors", "truecolor", "--bench", "200", "--bench-strip", *strip]).decode()
        f = {k: float(v) for k, v in (pair.split("=") for pair in out.split())}
        ok = f["render_ms"] <= 4 and f["strip8_ms"] <= 12
        if not ok:
            failures.append(f"in-process {ours_set}")
        print(f"  {ours_set:>8} decode+render one face 40x20: {f['render_ms']:5.2f} ms wall, {f['render_cpu_ms']:5.2f} ms cpu "
              f"(bar <= 4; decode alone {f['decode_ms']:.2f} / {f['decode_cpu_ms']:.2f})   strip of 8 at 16x8: "
              f"{f['strip8_ms']:5.2f} ms wall, {f['strip8_cpu_ms']:5.2f} ms cpu (bar <= 12)  {'ok' if ok else 'MISSED'}")

    print("\nall bars met" if not failures else "\nbars missed: " + ", ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
