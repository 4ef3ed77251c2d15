// IDX reader: Fashion-MNIST (when the Debian package is installed), the tiny
// committed files, and gzip edge cases written with zlib here.
#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "lowp/datasets/idx.hpp"
#include "test_files.hpp"
#include "test_support.hpp"

namespace ds = lowp::datasets;

namespace {

std::vector<std::uint8_t> idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims,
                                    const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// One gzip member, via zlib's deflate with a gzip wrapper.
std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& b) {
  lowp_test::spit(p, std::string(b.begin(), b.end()));
}

}  // namespace

TEST_CASE("Fashion-MNIST train and t10k (Debian dataset-fashion-mnist)") {
  const auto dir = lowp_test::fashion_mnist_dir();
  if (!std::filesystem::exists(dir / "train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: Fashion-MNIST not found in " << dir.string()
                                                   << " (apt-get install dataset-fashion-mnist)");
    return;
  }
  const ds::dense_dataset train =
      ds::read_idx(dir / "train-images-idx3-ubyte.gz", dir / "train-labels-idx1-ubyte.gz");
  CHECK(train.n == 60000);
  CHECK(train.d == 784);
  REQUIRE(train.X.size() == 60000u * 784u);
  REQUIRE(train.y.size() == 60000);
  std::vector<std::size_t> per_class(10);
  for (float v : train.y) {
    REQUIRE(v >= 0.0f);
    REQUIRE(v <= 9.0f);
    ++per_class[static_cast<std::size_t>(v)];
  }
  CHECK(std::all_of(per_class.begin(), per_class.end(), [](std::size_t c) { return c == 6000; }));
  const auto [lo, hi] = std::minmax_element(train.X.begin(), train.X.end());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);

  const auto test_images = ds::read_idx_images(dir / "t10k-images-idx3-ubyte.gz");
  CHECK(test_images.n == 10000);
  CHECK(test_images.rows == 28);
  CHECK(test_images.cols == 28);
  CHECK(ds::read_idx_labels(dir / "t10k-labels-idx1-ubyte.gz").size() == 10000);
  // Train images with test labels: the counts differ.
  CHECK_THROWS_WITH_AS(ds::read_idx(dir / "train-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz"),
                       doctest::Contains("as many labels as images (60000), found 10000 labels"), ds::parse_error);
}

TEST_CASE("tiny committed files: raw and gzip from disk and from memory agree") {
  const auto g = lowp_test::good_dir();
  const auto raw = ds::read_idx_images(g / "tiny-images-idx3-ubyte");
  CHECK(raw.n == 3);
  CHECK(raw.rows == 4);
  CHECK(raw.cols == 5);
  REQUIRE(raw.pixels.size() == 60);
  CHECK(raw.pixels[0] == 0);
  CHECK(raw.pixels[1] == 255);
  const auto gz = ds::read_idx_images(g / "tiny-images-idx3-ubyte.gz");
  CHECK(gz.pixels == raw.pixels);
  CHECK(ds::parse_idx_images(lowp_test::slurp_bytes(g / "tiny-images-idx3-ubyte.gz")).pixels == raw.pixels);
  CHECK(ds::parse_idx_images(lowp_test::slurp_bytes(g / "tiny-images-idx3-ubyte")).pixels == raw.pixels);
  CHECK(ds::read_idx_labels(g / "tiny-labels-idx1-ubyte.gz") == std::vector<std::uint8_t>{0, 9, 4});

  const auto unit = ds::read_idx(g / "tiny-images-idx3-ubyte.gz", g / "tiny-labels-idx1-ubyte");
  CHECK(unit.n == 3);
  CHECK(unit.d == 20);
  CHECK(unit.y == std::vector<float>{0, 9, 4});
  CHECK(unit.row(0)[1] == 1.0f);
  CHECK(unit.row(2)[19] == raw.pixels[59] / 255.0f);
  const auto bytes = ds::read_idx(g / "tiny-images-idx3-ubyte", g / "tiny-labels-idx1-ubyte", {.scale_to_unit = false});
  CHECK(bytes.row(0)[1] == 255.0f);
}

TEST_CASE("gzip: larger payloads and multi-member streams and non-gzip bytes after the stream") {
  std::mt19937_64 rng(lowp_test::seed());
  lowp_test::temp_dir tmp;
  // 200 images of 28x28, well past the 64 KiB first chunk, so the payload grows.
  std::vector<std::uint8_t> px(200 * 28 * 28);
  for (auto& p : px) p = static_cast<std::uint8_t>(rng() % 7 == 0 ? rng() : 0);
  const auto raw = idx_bytes(0x08, {200, 28, 28}, px);
  const auto z = gzip(raw);
  write_bytes(tmp / "a.gz", z);
  CHECK(ds::read_idx_images(tmp / "a.gz").pixels == px);
  CHECK(ds::parse_idx_images(z).pixels == px);

  // The same bytes split over two gzip members (as `cat a.gz b.gz` makes).
  const std::size_t cut = raw.size() / 3;
  auto two = gzip({raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(cut)});
  const auto second = gzip({raw.begin() + static_cast<std::ptrdiff_t>(cut), raw.end()});
  two.insert(two.end(), second.begin(), second.end());
  write_bytes(tmp / "two.gz", two);
  CHECK(ds::read_idx_images(tmp / "two.gz").pixels == px);
  CHECK(ds::parse_idx_images(two).pixels == px);

  // Bytes after the last member that are not gzip are ignored, as by gzread
  // and gunzip; bytes inside the stream beyond the header's size are not.
  auto tail = z;
  tail.insert(tail.end(), {'j', 'u', 'n', 'k'});
  write_bytes(tmp / "tail.gz", tail);
  CHECK(ds::read_idx_images(tmp / "tail.gz").pixels == px);
  CHECK(ds::parse_idx_images(tail).pixels == px);
  auto longer = raw;
  longer.push_back(1);
  CHECK_THROWS_WITH_AS(ds::parse_idx_images(gzip(longer)), doctest::Contains("trailing data"), ds::parse_error);

  // Every proper prefix of the gzip stream fails cleanly, from disk and memory.
  for (std::size_t k = 0; k < z.size(); k += 1 + k / 8) {
    const std::vector<std::uint8_t> prefix(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(k));
    CHECK_THROWS_AS(ds::parse_idx_images(prefix), ds::parse_error);
    write_bytes(tmp / "cut.gz", prefix);
    CHECK_THROWS_AS(ds::read_idx_images(tmp / "cut.gz"), ds::parse_error);
  }
}

TEST_CASE("open failures are io_errors") {
  CHECK_THROWS_AS(ds::read_idx_images("/no/such/images.gz"), ds::io_error);
  CHECK_THROWS_AS(ds::read_idx_labels(LOWP_TEST_DATA_DIR), ds::io_error);
}
