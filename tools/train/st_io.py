"""Minimal safetensors reading and writing on raw bytes (no torch or numpy needed).

Used to merge the shards that come back from the device machine into one model.safetensors, byte for byte
the same tensor data.
"""
import json
import struct


def read_raw(path):
    """Return ({name: (dtype, shape, bytes)}, metadata) of a .safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    base = 8 + header_len
    metadata = header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = (info["dtype"], info["shape"], blob[base + begin:base + end])
    return tensors, metadata


def write_raw(path, tensors, metadata=None):
    """Write {name: (dtype, shape, bytes)} in name order, 8-byte aligned header as safetensors pads it."""
    header = {}
    offset = 0
    names = sorted(tensors)
    for name in names:
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    if metadata is not None:
        header = {"__metadata__": metadata, **header}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((-len(encoded)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for name in names:
            f.write(tensors[name][2])
