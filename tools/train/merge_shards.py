"""Merge model-0000k-of-0000n.safetensors shards into one model.safetensors.

    python3 tools/train/merge_shards.py OUT_FILE SHARD [SHARD ...]

The device machine returns files of at most 16 MiB, so checkpoints travel as two shards; the bundled model
directories hold one file. Tensor bytes are copied unchanged.
"""
import sys

from st_io import read_raw, write_raw


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    merged, metadata = {}, None
    for shard in argv[2:]:
        tensors, meta = read_raw(shard)
        metadata = metadata or meta
        for name, value in tensors.items():
            if name in merged:
                sys.exit(f"tensor {name} appears in more than one shard")
            merged[name] = value
    write_raw(argv[1], merged, metadata)
    print(f"{argv[1]}: {len(merged)} tensors")


if __name__ == "__main__":
    main(sys.argv)
