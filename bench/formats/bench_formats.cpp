// Micro benchmark of the formats/ codecs on 10 MB inputs: MB/s of encode and decode (MB of the
// uncompressed array) and the compressed size. Not part of ctest; build and run:
//   g++ -std=c++20 -O3 -march=native -I. bench/formats/bench_formats.cpp formats/*.cpp -lzstd -o /tmp/bench_formats
//   /tmp/bench_formats
// Results are recorded in docs/formats/README.md.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <random>
#include <vector>

#include "formats/crc32.h"
#include "formats/csr.h"
#include "formats/entropy.h"
#include "formats/huffman.h"
#include "formats/rlc.h"
#include "formats/zstd_blob.h"

using namespace dnnc::formats;

namespace {

constexpr size_t kBytes = 10 * 1000 * 1000;

// Thread CPU time, best of several runs: the build machine is shared, and wall time mostly measures
// the neighbours.
double cpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

template <class F>
double bestSeconds(F&& f, int reps = 7) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    double t0 = cpuSeconds();
    f();
    best = std::min(best, cpuSeconds() - t0);
  }
  return best;
}

void report(const char* name, size_t raw_bytes, size_t coded_bytes, double enc_s, double dec_s) {
  std::printf("%-40s %8.1f MB/s enc %8.1f MB/s dec   %6.3f bits/byte  (%zu -> %zu bytes)\n", name,
              raw_bytes / enc_s / 1e6, raw_bytes / dec_s / 1e6, 8.0 * coded_bytes / raw_bytes, raw_bytes,
              coded_bytes);
}

// Quantised Laplacian weights: 8-bit symbols centred on 128, scale in quantisation steps.
std::vector<uint8_t> laplacianBytes(std::mt19937_64& rng, double scale) {
  std::exponential_distribution<double> e(1.0 / scale);
  std::vector<uint8_t> v(kBytes);
  for (auto& x : v) {
    double m = e(rng) * (rng() % 2 ? 1 : -1);
    x = uint8_t(std::clamp(128 + std::lround(m), 0L, 255L));
  }
  return v;
}

void benchHuffman(const char* name, const std::vector<uint8_t>& v) {
  std::vector<uint8_t> coded;
  double enc = bestSeconds([&] { coded = huffmanEncode(std::span<const uint8_t>(v)); });
  std::vector<uint8_t> back;
  double dec = bestSeconds([&] { back = *huffmanDecode<uint8_t>(coded); });
  if (back != v) std::printf("MISMATCH\n");
  report(name, v.size(), coded.size(), enc, dec);
  std::printf("%-40s entropy %.3f bits/symbol\n", "", shannonEntropyBits(std::span<const uint8_t>(v)) / v.size());
}

void benchRlc(const char* name, double zero_p) {
  std::mt19937_64 rng(3);
  std::bernoulli_distribution z(zero_p);
  std::vector<uint16_t> v(kBytes / 2);
  for (auto& x : v) x = z(rng) ? 0 : uint16_t(1 + rng() % 65535);
  std::vector<uint64_t> words;
  double enc = bestSeconds([&] { words = rlcEncode(std::span<const uint16_t>(v)); });
  std::vector<uint16_t> back;
  double dec = bestSeconds([&] { back = *rlcDecode(words, v.size()); });
  if (back != v) std::printf("MISMATCH\n");
  report(name, v.size() * 2, words.size() * 8, enc, dec);
  std::vector<float> f(v.begin(), v.end());
  uint64_t bits = 0;
  double size_s = bestSeconds([&] { bits = rlcEncodedBits(f.data(), f.size()); });
  std::printf("%-40s rlcEncodedBits(float*): %.1f Melem/s (%llu bits)\n", "", f.size() / size_s / 1e6,
              (unsigned long long)bits);
}

void benchCsr(const char* name, double zero_p) {
  std::mt19937_64 rng(4);
  std::bernoulli_distribution z(zero_p);
  std::vector<uint32_t> v(kBytes / 4);
  for (auto& x : v) x = z(rng) ? 0 : uint32_t(1 + rng() % 15);
  std::vector<uint8_t> coded;
  double enc = bestSeconds([&] { coded = csrHuffmanEncode(v); }, 3);
  std::vector<uint32_t> back;
  double dec = bestSeconds([&] { back = *csrHuffmanDecode(coded, v.size()); }, 3);
  if (back != v) std::printf("MISMATCH\n");
  report(name, v.size() * 4, coded.size(), enc, dec);
  SparseEntries e = sparseEntries(v);
  std::printf("%-40s 4-bit codebook: plain B=5 %llu B, best B=%u %llu B, csr-huffman %llu B\n", "",
              (unsigned long long)csrPlainEncodedBytes(e, 5, 4), bestCsrPlainGapBits(e, 4),
              (unsigned long long)csrPlainEncodedBytes(e, bestCsrPlainGapBits(e, 4), 4),
              (unsigned long long)coded.size());
}

}  // namespace

int main() {
  std::mt19937_64 rng(1);
  benchHuffman("huffman u8 laplacian scale 4", laplacianBytes(rng, 4.0));
  benchHuffman("huffman u8 laplacian scale 20", laplacianBytes(rng, 20.0));
  std::vector<uint8_t> uni(kBytes);
  for (auto& x : uni) x = uint8_t(rng());
  benchHuffman("huffman u8 uniform", uni);

  benchRlc("rlc int16, 50% zeros", 0.5);
  benchRlc("rlc int16, 90% zeros", 0.9);
  benchRlc("rlc int16, 0% zeros", 0.0);

  benchCsr("csr-huffman u32, 90% zeros", 0.9);

  std::vector<uint32_t> dummy;
  double crc_s = bestSeconds([&] { volatile uint32_t c = crc32(uni); (void)c; });
  std::printf("%-40s %8.1f MB/s\n", "crc32", uni.size() / crc_s / 1e6);
  auto lap = laplacianBytes(rng, 4.0);
  std::vector<uint8_t> z;
  double zc = bestSeconds([&] { z = *zstdCompress(lap, 3); }, 3);
  std::vector<uint8_t> zb;
  double zd = bestSeconds([&] { zb = *zstdDecompress(z, lap.size()); }, 3);
  report("zstd level 3, laplacian scale 4", lap.size(), z.size(), zc, zd);
}
