#!/usr/bin/env python3
"""Run one RecBole 1.2.1 baseline (SASRec or GRU4Rec) and record timings + metrics as JSON.

    .venv-recbole/bin/python bench/recbole_run.py MODEL DATASET_DIR OUT_JSON \
        [--epochs N] [--stopping-step N] [--deadline HH:MM] [--note TEXT] [--time-eval N]
        [--seed S] [--threads T]

MODEL        SASRec or GRU4Rec
DATASET_DIR  a folder holding RecBole atomic files named after the folder
             (e.g. ../shared/datasets/ml-100k/ml-100k.inter), or an S3-Rec sequence file
             (`user item item ...` per line, in time order, e.g. amazon-beauty/Beauty.txt),
             which is converted to bench/work/data/<name>/<name>.inter with the position in
             the line as the timestamp.
OUT_JSON     where the result goes (written atomically, rewritten after every epoch so a
             killed run leaves what it produced so far, with "status" saying so).

Protocol (same as trustrec's backbone benchmark): leave-one-out by time (LS valid_and_test,
TO order), full ranking over all items, valid metric NDCG@10, topk [10, 20], seed 2020 (--seed),
CE loss without negative sampling, CPU only, torch.set_num_threads(2), worker 0.

Timings come from wrapping Trainer._train_epoch / Trainer._valid_epoch (no log parsing).
The best model is kept in memory (Trainer._save_checkpoint is replaced), then evaluated on
the test split.

--deadline HH:MM (UTC, today): an epoch is not started if mean(train + valid) seconds would
carry it past the deadline, and a SIGALRM at the deadline stops an epoch under way; the run
then tests the best model so far and records stopped_by = "deadline" with the effective cap.
SIGTERM does the same (stopped_by = "sigterm").

--time-eval N: no training; times N full test-evaluation passes of the freshly initialised
model (the cost of a pass does not depend on the weights) and records them as
"eval_only_seconds" with their median "eval_only_median_seconds", for a side-by-side
evaluation-speed measurement (trustrec side: `trustrec bench eval --run DIR`).
"""

import argparse
import copy
import datetime as dt
import json
import os
import platform
import resource
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")

T_START = time.time()


class StopRun(Exception):
    def __init__(self, why):
        super().__init__(why)
        self.why = why


def utc_now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def write_json_atomic(path, obj):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=False, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def peak_rss_mb():
    s = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"self": s / 1024.0, "children": c / 1024.0, "total": (s + c) / 1024.0}


def machine_load():
    """1/5/15-min load average and how many compiler processes are running now."""
    try:
        with open("/proc/loadavg") as f:
            la = [float(x) for x in f.read().split()[:3]]
    except OSError:
        la = None
    busy = {"rustc": 0, "cargo": 0}
    try:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in busy:
                busy[comm] += 1
    except OSError:
        pass
    return {"loadavg": la, "rustc_procs": busy["rustc"], "cargo_procs": busy["cargo"]}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def prepare_dataset(path):
    """Return (data_path, dataset_name, converted_from or None)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        name = os.path.basename(path.rstrip("/"))
        if os.path.exists(os.path.join(path, f"{name}.inter")):
            return os.path.dirname(path), name, None
        txts = sorted(
            f for f in os.listdir(path) if f.endswith(".txt") and not f.startswith(".")
        )
        if len(txts) != 1:
            sys.exit(f"{path}: no {name}.inter and not exactly one .txt sequence file")
        src = os.path.join(path, txts[0])
    elif os.path.isfile(path):
        src = path
        name = os.path.basename(os.path.dirname(path))
    else:
        sys.exit(f"{path}: not found")

    out_dir = os.path.join(WORK, "data", name)
    out = os.path.join(out_dir, f"{name}.inter")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return os.path.join(WORK, "data"), name, src
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=out_dir)
    n = 0
    with os.fdopen(fd, "w") as w, open(src) as r:
        w.write("user_id:token\titem_id:token\ttimestamp:float\n")
        for line in r:
            parts = line.split()
            if not parts:
                continue
            user, items = parts[0], parts[1:]
            for pos, item in enumerate(items):
                w.write(f"{user}\t{item}\t{pos}\n")
                n += 1
    os.replace(tmp, out)
    print(f"converted {src} -> {out} ({n} interactions)", flush=True)
    return os.path.join(WORK, "data"), name, src


MODEL_PARAMS = {
    "SASRec": {
        "hidden_size": 64,
        "n_layers": 2,
        "n_heads": 2,
        "inner_size": 256,
        "hidden_dropout_prob": 0.2,
        "attn_dropout_prob": 0.2,
        "loss_type": "CE",
    },
    "GRU4Rec": {
        "embedding_size": 64,
        "hidden_size": 128,
        "num_layers": 1,
        "dropout_prob": 0.3,
        "loss_type": "CE",
    },
}


def protocol_config(model, data_path, epochs=200, stopping_step=10, seed=2020):
    """RecBole's config for the benchmark protocol (see the module doc); `bench/split_check.py`
    builds its split from the same dict."""
    return {
        "USER_ID_FIELD": "user_id",
        "ITEM_ID_FIELD": "item_id",
        "TIME_FIELD": "timestamp",
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "MAX_ITEM_LIST_LENGTH": 50,
        **MODEL_PARAMS[model],
        "learning_rate": 0.001,
        "train_batch_size": 256,
        "eval_batch_size": 4096,
        "epochs": epochs,
        "stopping_step": stopping_step,
        "seed": seed,
        "reproducibility": True,
        "train_neg_sample_args": None,
        "eval_args": {
            "split": {"LS": "valid_and_test"},
            "group_by": "user",
            "order": "TO",
            "mode": "full",
        },
        "metrics": ["Recall", "MRR", "NDCG", "Hit"],
        "topk": [10, 20],
        "valid_metric": "NDCG@10",
        "use_gpu": False,
        "gpu_id": "",
        "worker": 0,
        "show_progress": False,
        "data_path": data_path,
        "checkpoint_dir": os.path.join(WORK, "saved"),
    }


def parse_deadline(s):
    if s is None:
        return None
    now = dt.datetime.now(dt.timezone.utc)
    if "T" in s:
        d = dt.datetime.fromisoformat(s)
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.timezone.utc)
    else:
        hh, mm = (int(x) for x in s.split(":"))
        d = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
    return d.timestamp()


def to_float_dict(d):
    return {str(k).lower(): float(v) for k, v in (d or {}).items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=sorted(MODEL_PARAMS))
    ap.add_argument("dataset_dir")
    ap.add_argument("out_json")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--stopping-step", type=int, default=10)
    ap.add_argument("--deadline", help="HH:MM (UTC, today) or ISO time; see module doc")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("--note", default="", help="appended to machine_note")
    ap.add_argument("--time-eval", type=int, default=0, metavar="N",
                    help="no training: time N test-evaluation passes (see module doc)")
    args = ap.parse_args()

    out_json = os.path.abspath(args.out_json)
    deadline = parse_deadline(args.deadline)
    data_path, ds_name, converted_from = prepare_dataset(args.dataset_dir)

    os.makedirs(WORK, exist_ok=True)
    os.chdir(WORK)  # RecBole writes log/ and log_tensorboard/ into the working folder

    import numpy as np  # noqa: F401
    import torch
    import recbole
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.trainer import Trainer
    from recbole.utils import get_model, get_trainer, init_logger, init_seed

    config_dict = protocol_config(
        args.model, data_path, epochs=args.epochs, stopping_step=args.stopping_step, seed=args.seed
    )

    config = Config(model=args.model, dataset=ds_name, config_dict=config_dict)
    init_seed(config["seed"], config["reproducibility"])
    torch.set_num_threads(args.threads)
    init_logger(config)

    load_start = machine_load()
    result = {
        "tool": "recbole",
        "recbole_version": recbole.__version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "model": args.model,
        "dataset": ds_name,
        "dataset_source": converted_from or os.path.join(data_path, ds_name),
        "date": utc_now(),
        "status": "running",
        "stopped_by": None,
        "epoch_cap": args.epochs,
        "epoch_cap_effective": args.epochs,
        "stopping_step": args.stopping_step,
        "deadline_utc": (
            dt.datetime.fromtimestamp(deadline, dt.timezone.utc).isoformat()
            if deadline
            else None
        ),
        "config": {**config_dict, "device": str(config["device"]), "torch_threads": torch.get_num_threads()},
        "epoch_seconds": [],
        "eval_seconds": [],
        "train_loss": [],
        "valid_scores": [],
        "per_epoch": [],
        "epochs_run": 0,
        "best_epoch": None,
        "best_valid_metrics": None,
        "test_metrics": None,
        "test_eval_seconds": None,
        "setup_seconds": None,
        "time_to_best_epoch_seconds": None,
        "total_seconds": None,
        "peak_rss_mb": None,
        "peak_rss_detail_mb": None,
        "machine": {
            "cpu": cpu_model(),
            "nproc": os.cpu_count(),
            "load_at_start": load_start,
        },
        "machine_note": "",
    }

    def finish_note():
        loads = [e["load"] for e in result["per_epoch"]]
        la = [x["loadavg"][0] for x in loads if x.get("loadavg")]
        rustc_epochs = sum(1 for x in loads if x["rustc_procs"] > 0)
        note = (
            f"CPU only, {result['machine']['nproc']} cores ({result['machine']['cpu']}), "
            f"torch.set_num_threads({args.threads}), worker 0. Machine shared with concurrent "
            f"Rust (cargo/rustc) compiles: rustc running at the end of {rustc_epochs} of "
            f"{len(loads)} epochs; 1-min load average at epoch ends "
            + (f"{min(la):.2f}-{max(la):.2f} (mean {sum(la)/len(la):.2f})" if la else "n/a")
            + f"; at start {load_start['loadavg']}. Timings are wall-clock and inflated by that load."
        )
        if args.note:
            note += " " + args.note
        result["machine_note"] = note

    def snapshot():
        result["peak_rss_detail_mb"] = peak_rss_mb()
        result["peak_rss_mb"] = round(result["peak_rss_detail_mb"]["total"], 1)
        result["total_seconds"] = round(time.time() - T_START, 3)
        result["epochs_run"] = len(result["epoch_seconds"])
        finish_note()
        write_json_atomic(out_json, result)

    # ---- timing hooks on RecBole's Trainer -------------------------------------------
    state = {"best_state": None, "best_epoch": None, "cur": None}
    orig_train = Trainer._train_epoch
    orig_valid = Trainer._valid_epoch

    def timed_train(self, train_data, epoch_idx, *a, **kw):
        if deadline is not None and result["epoch_seconds"]:
            per = (sum(result["epoch_seconds"]) + sum(result["eval_seconds"])) / len(
                result["epoch_seconds"]
            )
            reserve = max(result["eval_seconds"] or [0]) + 15.0  # the test pass
            if time.time() + per + reserve > deadline:
                raise StopRun("deadline")
        t0 = time.perf_counter()
        loss = orig_train(self, train_data, epoch_idx, *a, **kw)
        dt_s = time.perf_counter() - t0
        loss_v = float(sum(loss)) if isinstance(loss, tuple) else float(loss)
        result["epoch_seconds"].append(round(dt_s, 3))
        result["train_loss"].append(loss_v)
        state["cur"] = {
            "epoch": epoch_idx,
            "train_seconds": round(dt_s, 3),
            "train_loss": loss_v,
        }
        return loss

    def timed_valid(self, valid_data, *a, **kw):
        t0 = time.perf_counter()
        score, res = orig_valid(self, valid_data, *a, **kw)
        dt_s = time.perf_counter() - t0
        result["eval_seconds"].append(round(dt_s, 3))
        result["valid_scores"].append(float(score))
        cur = state["cur"] or {}
        cur.update(
            {
                "valid_seconds": round(dt_s, 3),
                "valid_ndcg@10": float(score),
                "valid": to_float_dict(res),
                "load": machine_load(),
                "utc": utc_now(),
            }
        )
        result["per_epoch"].append(cur)
        state["cur"] = None
        print(
            f"[recbole_run] epoch {cur.get('epoch')} train {cur.get('train_seconds')}s "
            f"valid {dt_s:.2f}s ndcg@10 {score:.4f} load {cur['load']['loadavg']}",
            flush=True,
        )
        snapshot()
        return score, res

    def keep_best_in_memory(self, epoch, verbose=True, **kw):
        state["best_state"] = copy.deepcopy(self.model.state_dict())
        state["best_epoch"] = epoch
        result["best_epoch"] = epoch
        result["best_valid_metrics"] = to_float_dict(
            result["per_epoch"][-1]["valid"] if result["per_epoch"] else {}
        )
        idx = len(result["epoch_seconds"])
        result["time_to_best_epoch_seconds"] = round(
            sum(result["epoch_seconds"][:idx]) + sum(result["eval_seconds"][:idx]), 3
        )

    Trainer._train_epoch = timed_train
    Trainer._valid_epoch = timed_valid
    Trainer._save_checkpoint = keep_best_in_memory

    def on_signal(signum, frame):
        raise StopRun("deadline" if signum == signal.SIGALRM else "sigterm")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    if deadline is not None:
        left = deadline - time.time()
        if left <= 0:
            sys.exit("deadline already passed")
        signal.setitimer(signal.ITIMER_REAL, left)

    # ---- run -----------------------------------------------------------------------
    t_setup = time.perf_counter()
    dataset = create_dataset(config)
    # dataset.inter_num is already after SequentialDataset's augmentation (one row per
    # prefix, i.e. n_u - 1 per user); count the rows of the .inter file itself as well
    with open(os.path.join(data_path, ds_name, f"{ds_name}.inter")) as f:
        n_inter_loaded = sum(1 for _ in f) - 1
    train_data, valid_data, test_data = data_preparation(config, dataset)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    result["setup_seconds"] = round(time.perf_counter() - t_setup, 3)
    result["dataset_stats"] = {
        "users": int(dataset.user_num - 1),
        "items": int(dataset.item_num - 1),
        "interactions": n_inter_loaded,
        "sequences_after_augmentation": int(dataset.inter_num),
        "train_sequences": len(train_data._dataset),
        "n_params": int(sum(p.numel() for p in model.parameters())),
    }
    snapshot()

    if args.time_eval > 0:
        passes = []
        for _ in range(args.time_eval):
            t0 = time.perf_counter()
            trainer.evaluate(test_data, load_best_model=False, show_progress=False)
            passes.append(round(time.perf_counter() - t0, 4))
            print(f"[recbole_run] evaluation pass {passes[-1]} s", flush=True)
        result["eval_only_seconds"] = passes
        result["eval_only_median_seconds"] = sorted(passes)[len(passes) // 2]
        result["status"] = "finished (evaluation timing only)"
        result["date_end"] = utc_now()
        snapshot()
        print(f"[recbole_run] wrote {out_json}", flush=True)
        return

    stopped = None
    try:
        trainer.fit(train_data, valid_data, saved=True, show_progress=False, verbose=True)
    except StopRun as e:
        stopped = e.why
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)

    n_done = len(result["eval_seconds"])
    if stopped:
        result["stopped_by"] = stopped
        result["epoch_cap_effective"] = n_done
        # an epoch interrupted mid-way: its training time was not completed -> not recorded
        if len(result["epoch_seconds"]) > n_done:
            result["partial_epoch_dropped"] = True
            result["epoch_seconds"] = result["epoch_seconds"][:n_done]
            result["train_loss"] = result["train_loss"][:n_done]
    elif n_done >= args.epochs:
        result["stopped_by"] = "epoch_cap"
    else:
        result["stopped_by"] = "early_stopping"
    signal.signal(signal.SIGALRM, signal.SIG_DFL)

    if state["best_state"] is not None:
        trainer.model.load_state_dict(state["best_state"])
        t0 = time.perf_counter()
        test_res = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
        result["test_eval_seconds"] = round(time.perf_counter() - t0, 3)
        result["test_metrics"] = to_float_dict(test_res)
        print(f"[recbole_run] best epoch {state['best_epoch']} test {result['test_metrics']}", flush=True)
    result["status"] = "finished" if not stopped else f"stopped ({stopped})"
    result["date_end"] = utc_now()
    snapshot()
    print(f"[recbole_run] wrote {out_json}", flush=True)


if __name__ == "__main__":
    main()
