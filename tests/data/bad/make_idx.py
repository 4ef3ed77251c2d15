#!/usr/bin/env python3
"""Writes the binary IDX test files: the good ones in ../good/ and the bad ones
here, and prints their MANIFEST.tsv lines (the text-format entries of
MANIFEST.tsv are maintained by hand). Deterministic: gzip mtime is 0 and the
pseudo-random pixels come from a fixed seed, so rerunning reproduces the
committed bytes.

Run from this folder:  python3 make_idx.py
"""
import gzip
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "..", "good")


def idx(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def inflatable_prefix(gz_bytes):
    """How many bytes zlib can decompress from a (possibly cut) gzip stream."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return len(d.decompress(gz_bytes))


rng = random.Random(20261125)

# ---- good: 3 images of 4 x 5 and their labels, raw and gzip
pixels = [0, 255] + [rng.randrange(256) for _ in range(3 * 4 * 5 - 2)]
images = idx(0x08, [3, 4, 5], pixels)
labels = idx(0x08, [3], [0, 9, 4])
write(GOOD, "tiny-images-idx3-ubyte", images)
write(GOOD, "tiny-labels-idx1-ubyte", labels)
write(GOOD, "tiny-images-idx3-ubyte.gz", gz(images))
write(GOOD, "tiny-labels-idx1-ubyte.gz", gz(labels))

# ---- bad
bad = []  # (file, reader, location, fragment, bytes)


def add(name, reader, loc, frag, data):
    bad.append((name, reader, loc, frag, data))


add("idx_empty.idx3", "idx_images", "byte 0", "end of file (empty file)", b"")
add("idx_magic_cut.idx3", "idx_images", "byte 3", "4-byte IDX images magic 0x00000803", bytes([0, 0, 8]))
add("idx_bad_magic.idx3", "idx_images", "byte 0", "which starts with two zero bytes, found 0x01000803",
    bytes([1, 0, 8, 3]) + images[4:])
add("idx_float_dtype.idx3", "idx_images", "byte 2", "type code 0x08), found type code 0x0d (float)",
    idx(0x0D, [1, 1, 1], [0, 0, 0, 0]))
add("idx_int_dtype_labels.idx1", "idx_labels", "byte 2", "found type code 0x0c (int)", idx(0x0C, [1], [0, 0, 0, 7]))
add("idx_labels_as_images.idx1", "idx_images", "byte 3", "expected 3 dimensions", labels)
add("idx_images_as_labels.idx3", "idx_labels", "byte 3", "expected 1 dimension", images)
add("idx_truncated_header.idx3", "idx_images", "byte 10", "dimension 2 of 3 (4-byte big-endian), found end of file",
    bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]))
add("idx_truncated_data.idx3", "idx_images", "byte 26",
    "18 bytes of images data (2 x 3 x 3 from the header), found end of file after 10 bytes",
    idx(0x08, [2, 3, 3], range(10)))
add("idx_trailing.idx3", "idx_images", "byte 20", "end of file after 4 bytes of images data",
    idx(0x08, [1, 2, 2], range(9)))
add("idx_zero_dim.idx3", "idx_images", "byte 8", "non-zero dimension 2, found 0", idx(0x08, [1, 0, 5], []))
add("idx_absurd_dims.idx3", "idx_images", "byte 8", "product is at most 2^48 elements",
    idx(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 1], range(16)))
add("idx_absurd_count.idx3", "idx_images", "byte 116", "found end of file after 100 bytes",
    idx(0x08, [4000000000, 28, 28], [7] * 100))
add("idx_absurd_count.idx3.gz", "idx_images", "byte 1016", "47040000 bytes of images data",
    gz(idx(0x08, [60000, 28, 28], [3] * 1000)))
add("idx_pair_mismatch.idx1", "idx_pair images=tiny-images-idx3-ubyte", "byte 4",
    "as many labels as images (3), found 2 labels", idx(0x08, [2], [1, 2]))
add("idx_labels_trailing.idx1.gz", "idx_labels", "byte 11", "3 bytes of labels data (3 from the header), found trailing data",
    gz(idx(0x08, [3], [1, 2, 3, 4, 5])))

# A stream cut in the middle: zlib yields what it can, then reports truncation.
big = idx(0x08, [10, 8, 8], [rng.randrange(256) for _ in range(640)])
cut = gz(big)[: len(gz(big)) * 6 // 10]
add("idx_truncated.idx3.gz", "idx_images", "byte %d" % inflatable_prefix(cut), "compressed data truncated", cut)
# Intact deflate data, wrong CRC in the trailer: found when checking for the end.
crc = bytearray(gz(images))
crc[-8] ^= 0xFF
add("idx_bad_crc.idx3.gz", "idx_images", "byte %d" % len(images), "valid gzip data, found corrupt stream", bytes(crc))
# The gzip magic followed by garbage: a corrupt header.
add("idx_gzip_garbage.idx3.gz", "idx_images", "byte 0", "valid gzip data", bytes([0x1F, 0x8B]) + b"not a gzip header")

for name, reader, loc, frag, data in bad:
    write(HERE, name, data)
    print("%s\t%s\t%s\t%s" % (name, reader, loc, frag))
