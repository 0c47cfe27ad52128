"""Export speed: median time per format for the default race (the Playground's first page).

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_export.py [--repeats N]
Prints one table: the median over repeats of ``optviz.out.export.export(settings, fmt, runs)`` at
default options, the ratio to the cheapest format measured here, and the output size. The
PNG row is the warm browser; the cold start (first image of a process, browser launch
included) is its own row. GIF and MP4 rows give their frame counts: the target is at most
10 s for 100 frames on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import imageio_ffmpeg  # noqa: E402
from PIL import Image  # noqa: E402

from optviz.out import export as ex  # noqa: E402
from optviz.out.animation import render_frames  # noqa: E402
from optviz.race.run import run_race  # noqa: E402
from optviz.race.settings import from_query  # noqa: E402

TARGET_100_FRAMES_S = 10.0


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def frames_of(fmt: str, data: bytes) -> str:
    if fmt == "gif":
        return str(Image.open(io.BytesIO(data)).n_frames)
    if fmt == "mp4":
        with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
            f.write(data)
            f.flush()
            return str(imageio_ffmpeg.count_frames_and_secs(f.name)[0])
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    settings = from_query({})
    run_race(settings)  # load the compiled kernels and the suggested learning rates
    race_s, (runs, _) = median_time(lambda: run_race(settings), args.repeats)

    rows: list[tuple[str, float, int, str]] = []
    t0 = time.perf_counter()
    cold = ex.export(settings, "png", runs)
    rows.append(("png, cold start", time.perf_counter() - t0, len(cold), "browser launch included"))
    for fmt in ex.FORMATS:
        seconds, data = median_time(lambda fmt=fmt: ex.export(settings, fmt, runs), args.repeats)
        rows.append((fmt, seconds, len(data), frames_of(fmt, data)))
    render_s, animation = median_time(lambda: render_frames(settings, runs), args.repeats)
    rows.append(("frames only (numpy+Pillow)", render_s, 0, str(len(animation.frames))))

    cheapest = min(seconds for _, seconds, _, _ in rows)
    print(
        f"default race: {settings.surface}, {len(runs)} optimizers, {settings.steps} steps; "
        f"run_race {race_s * 1e3:.1f} ms; median of {args.repeats}"
    )
    print(f"{'format':<28}{'median':>10}{'x cheapest':>12}{'size':>12}  frames / note")
    for name, seconds, size, note in rows:
        size_text = f"{size / 1e3:.0f} kB" if size else "-"
        print(f"{name:<28}{seconds * 1e3:>8.1f}ms{seconds / cheapest:>12.1f}{size_text:>12}  {note}")
    for fmt in ("gif", "mp4"):
        seconds = next(s for name, s, _, _ in rows if name == fmt)
        frames = int(next(n for name, _, _, n in rows if name == fmt))
        per_100 = seconds * 100 / frames
        verdict = "within" if per_100 <= TARGET_100_FRAMES_S else "OVER"
        print(f"{fmt}: {per_100:.2f} s per 100 frames, {verdict} the {TARGET_100_FRAMES_S:g} s target")


if __name__ == "__main__":
    main()
