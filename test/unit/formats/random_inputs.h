// Seeded input generators shared by the format round-trip tests: every distribution a codec must
// survive (uniform, skewed, sparse with long zero runs, constant, empty).
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dnnc::formats::test {

struct Distribution {
  std::string name;
  std::vector<uint32_t> values;
};

// Symbols in [0, alphabet): uniform.
inline std::vector<uint32_t> uniformSymbols(std::mt19937_64& rng, size_t n, uint32_t alphabet) {
  std::uniform_int_distribution<uint32_t> d(0, alphabet - 1);
  std::vector<uint32_t> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Geometric-like skew: symbol s with probability ~ ratio^s (capped at alphabet - 1).
inline std::vector<uint32_t> skewedSymbols(std::mt19937_64& rng, size_t n, uint32_t alphabet, double p) {
  std::geometric_distribution<uint32_t> d(p);
  std::vector<uint32_t> v(n);
  for (auto& x : v) x = std::min(d(rng), alphabet - 1);
  return v;
}

// Sparse: each element is zero with probability `zero_p`, else uniform in [1, alphabet).
inline std::vector<uint32_t> sparseSymbols(std::mt19937_64& rng, size_t n, uint32_t alphabet, double zero_p) {
  std::bernoulli_distribution z(zero_p);
  std::uniform_int_distribution<uint32_t> d(1, alphabet - 1);
  std::vector<uint32_t> v(n);
  for (auto& x : v) x = z(rng) ? 0 : d(rng);
  return v;
}

// Long zero runs: clusters of nonzeros separated by zero runs of up to max_run.
inline std::vector<uint32_t> longRunSymbols(std::mt19937_64& rng, size_t n, uint32_t alphabet, size_t max_run) {
  std::uniform_int_distribution<size_t> run(0, max_run);
  std::uniform_int_distribution<uint32_t> d(1, alphabet - 1);
  std::vector<uint32_t> v;
  v.reserve(n);
  while (v.size() < n) {
    size_t r = run(rng);
    for (size_t i = 0; i < r && v.size() < n; ++i) v.push_back(0);
    if (v.size() < n) v.push_back(d(rng));
  }
  return v;
}

// The standard battery for symbol codecs over alphabet [0, alphabet).
inline std::vector<Distribution> symbolBattery(uint64_t seed, size_t n, uint32_t alphabet) {
  std::mt19937_64 rng(seed);
  std::vector<Distribution> out;
  out.push_back({"empty", {}});
  out.push_back({"one element", {alphabet - 1}});
  out.push_back({"all zero", std::vector<uint32_t>(n, 0)});
  out.push_back({"single symbol", std::vector<uint32_t>(n, alphabet / 2)});
  out.push_back({"two symbols", uniformSymbols(rng, n, std::min<uint32_t>(2, alphabet))});
  out.push_back({"uniform", uniformSymbols(rng, n, alphabet)});
  out.push_back({"skewed p=0.5", skewedSymbols(rng, n, alphabet, 0.5)});
  out.push_back({"skewed p=0.05", skewedSymbols(rng, n, alphabet, 0.05)});
  out.push_back({"very skewed p=0.95", skewedSymbols(rng, n, alphabet, 0.95)});
  out.push_back({"sparse 90%", sparseSymbols(rng, n, alphabet, 0.9)});
  out.push_back({"sparse 99%", sparseSymbols(rng, n, alphabet, 0.99)});
  out.push_back({"long zero runs", longRunSymbols(rng, n, alphabet, 1000)});
  return out;
}

}  // namespace dnnc::formats::test
