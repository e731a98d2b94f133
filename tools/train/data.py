"""Corpus handling for the demo models: documents, token ids, training windows.

A document is one line of a corpus file that holds a non-whitespace character, taken exactly as written
(no stripping). Its token sequence is [BOS] + SentencePiece ids of the line (+ [EOS] for training).
"""
import gzip

import numpy as np


def read_documents(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    return [line for line in text.split("\n") if line.strip()]


def split_train_dev(documents, every=100):
    """Every `every`-th document of the training split is held out to watch overfitting (not valid.txt.gz)."""
    train = [d for i, d in enumerate(documents) if i % every != every - 1]
    dev = [d for i, d in enumerate(documents) if i % every == every - 1]
    return train, dev


def build_stream(encoded, bos_id, eos_id):
    """Concatenate [BOS] ids [EOS] for each document; return the stream and each document's start offset."""
    lengths = np.array([len(ids) + 2 for ids in encoded], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    stream = np.empty(int(lengths.sum()), dtype=np.int64)
    for start, ids in zip(starts, encoded):
        stream[start] = bos_id
        stream[start + 1:start + 1 + len(ids)] = ids
        stream[start + 1 + len(ids)] = eos_id
    return stream, starts


def window_starts(doc_starts, stream_len, window):
    """Windows of `window` + 1 tokens, each starting at a document's BOS so that position 0 always sees an
    empty state (as a served prompt does). The next window starts at the document the previous one cut,
    so every token is covered at least once."""
    starts = []
    doc = 0
    n_docs = len(doc_starts)
    while doc < n_docs:
        begin = int(doc_starts[doc])
        if begin + window + 1 > stream_len:
            break
        starts.append(begin)
        end = begin + window
        nxt = int(np.searchsorted(doc_starts, end, side="right")) - 1  # document holding position `end`
        doc = nxt if nxt > doc else doc + 1
    return np.array(starts, dtype=np.int64)
