// IDX (MNIST / Fashion-MNIST) images and labels -> dense_dataset.
// Implemented in lowp::io (src/io/idx.cpp), because gzip needs zlib and
// zlib.h should not reach user translation units. Link lowp::io.
//
// Format: a 4-byte magic 0x00 0x00 <type> <ndim>, ndim big-endian uint32
// dimensions, then the data. Only unsigned-byte data (type 0x08) is read:
// images have magic 0x00000803 (n x rows x cols), labels 0x00000801 (n).
// Files may be raw or gzip-compressed; gzip is detected by its magic bytes
// 1f 8b, not by the file name, and read incrementally through zlib.
//
// Rejected (parse_error with the byte offset; line() and column() are 0):
// a wrong magic, another type code or dimension count, a zero dimension, a
// header cut short, data shorter than the product of the dimensions
// (truncated), data longer than it (trailing garbage), corrupt or truncated
// gzip streams, and, for a pair, a label count different from the image
// count. A lying header cannot cause a large allocation: pixel storage grows
// only as decompressed bytes arrive (raw files are checked against their
// size first), so memory tracks the data actually present.
#ifndef LOWP_DATASETS_IDX_HPP
#define LOWP_DATASETS_IDX_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {

struct idx_images {
  std::size_t n = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // n * rows * cols, image-major, row-major within an image
};

struct idx_options {
  bool scale_to_unit = true;  // pixels / 255 in [0, 1]; false keeps 0..255 as floats
};

// Single files (raw or gzip).
idx_images read_idx_images(const std::filesystem::path& file);
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file);

// The same from bytes in memory (raw or gzip); `name` is used in messages.
idx_images parse_idx_images(std::span<const std::uint8_t> bytes, const std::string& name = "<memory>");
std::vector<std::uint8_t> parse_idx_labels(std::span<const std::uint8_t> bytes, const std::string& name = "<memory>");

// Images plus labels as one dataset: X is n x (rows*cols) floats, y the labels.
// Throws parse_error (on the labels file) when the counts differ.
dense_dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
                       const idx_options& options = {});
dense_dataset make_idx_dataset(const idx_images& images, std::span<const std::uint8_t> labels,
                               const idx_options& options = {}, const std::string& labels_name = "<labels>");

}  // namespace datasets
}  // namespace lowp

#endif
