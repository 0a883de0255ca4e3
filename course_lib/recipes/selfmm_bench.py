"""Self-MM benchmark: seconds per epoch with frozen MiniLM tokens and with a fine-tuned last layer.

``python -m course_lib bench selfmm-tail`` loads lesson 08's corpus, then the
states entering MiniLM's last layer (extracted once, then read from the
feature cache), and trains Self-MM for a few epochs twice: frozen tokens
(the default) and ``text_tail=True``. It prints the time of each step, the
seconds per epoch (training plus the validation pass) and the validation MAE
reached, which after so few epochs says nothing about which is better.
Figures are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import time

from course_lib.recipes import selfmm as recipe


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_lib bench selfmm-tail``."""
    parser.add_argument(
        "--preset", default="full", help="corpus preset under <data dir>/corpora (tiny or full)"
    )
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each timed run")
    parser.add_argument("--seed", type=int, default=42, help="training seed")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads while training")
    parser.add_argument(
        "--text-lr", type=float, default=None, help="text_lr of the tail run (default: the config's)"
    )


def run(args: argparse.Namespace) -> int:
    """Print load times, then seconds per epoch and validation MAE of the frozen and tail runs."""
    from course_lib.runtime import resolve_cache_dir, resolve_data_dir

    base = recipe.SelfMMConfig(epochs=args.epochs, patience=args.epochs + 1, threads=args.threads)
    tail = base.replace(text_tail=True, **({} if args.text_lr is None else {"text_lr": args.text_lr}))
    start = time.perf_counter()
    data = recipe.load_selfmm_data(resolve_data_dir() / "corpora" / args.preset, base, resolve_cache_dir())
    sizes = {s: len(data.samples(s)) for s in ("train", "valid", "test")}
    print(f"{args.preset} corpus {sizes}: loaded in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    tuned = data.with_text_tail()
    print(f"pre-tail states (extracted, or read from the cache): {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    recipe.text_tail()
    print(f"MiniLM's last layer copied (once per process): {time.perf_counter() - start:.1f} s")
    recipe.train(base.replace(epochs=1), data, seed=args.seed)  # warm-up, not timed
    for name, config, clips in (
        ("frozen tokens", base, data),
        (f"text tail, text_lr {tail.text_lr:g}", tail, tuned),
    ):
        start = time.perf_counter()
        result = recipe.train(config, clips, seed=args.seed)
        seconds = time.perf_counter() - start
        epochs = len(result.history)
        print(
            f"{name}: {seconds:.1f} s for {epochs} epochs = {seconds / epochs:.1f} s/epoch "
            f"(threads {args.threads}); validation MAE {result.val['mae']:.3f}"
        )
    return 0
