#include "formats/rlc.h"

#include <algorithm>
#include <cstring>

#include "lib/support/check.h"

namespace dnnc::formats {
namespace {

constexpr unsigned kPairBits = kRlcRunBits + kRlcLevelBits;  // 21
constexpr uint64_t kZerosPerLongPair = kRlcMaxRun + 1;       // (31, 0): 31 zeros and a zero level

// Bit offset of the lowest bit of pair `slot` (0..2) in a word: slot 0 sits at the top.
constexpr unsigned pairShift(unsigned slot) { return 64 - kPairBits * (slot + 1); }

uint64_t packWord(const uint32_t* pairs, unsigned count) {
  uint64_t word = 0;
  for (unsigned slot = 0; slot < count; ++slot) word |= uint64_t(pairs[slot]) << pairShift(slot);
  return word;
}

// The encoder works online, without branches on the data: a zero extends the run, except that the
// 32nd zero of a run closes it as the pair (31, 0); a nonzero closes the run as (run, value). Every
// element thus either emits a pair or not, and the pair is written unconditionally and kept only if
// emitted (the write index advances by 0 or 1). The result equals the greedy description in rlc.h.
struct OnlineRun {
  uint32_t run = 0;
  // Returns 1 if element v closes a pair (written to *slot), else 0.
  uint32_t push(uint16_t v, uint32_t* slot) {
    uint32_t emit = uint32_t(v != 0) | uint32_t(run == kRlcMaxRun);
    *slot = run << kRlcLevelBits | v;
    run = (run + 1) & (emit - 1);  // 0 after a pair; masks, not a branch the data would mispredict
    return emit;
  }
};

template <class IsZero>
uint64_t pairCount(size_t n, IsZero is_zero) {
  uint64_t pairs = 0;
  uint32_t run = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t emit = uint32_t(!is_zero(i)) | uint32_t(run == kRlcMaxRun);
    pairs += emit;
    run = (run + 1) & (emit - 1);
  }
  return pairs + (run != 0);  // trailing zeros: (run - 1, 0)
}

uint64_t bitsForPairs(uint64_t pairs) { return 64 * ((pairs + kRlcPairsPerWord - 1) / kRlcPairsPerWord); }

}  // namespace

std::vector<uint64_t> rlcEncode(std::span<const uint16_t> values) {
  std::vector<uint64_t> out;
  constexpr size_t kChunk = 3 * 1024;
  uint32_t pairs[kChunk + 3];
  size_t held = 0;  // pairs in `pairs` not yet packed (fewer than 3 between chunks)
  OnlineRun run;
  for (size_t i = 0; i < values.size();) {
    const size_t end = std::min(values.size(), i + kChunk);
    for (; i < end; ++i) held += run.push(values[i], &pairs[held]);
    size_t whole = held - held % kRlcPairsPerWord;
    for (size_t k = 0; k < whole; k += kRlcPairsPerWord) out.push_back(packWord(&pairs[k], kRlcPairsPerWord));
    for (size_t k = whole; k < held; ++k) pairs[k - whole] = pairs[k];
    held -= whole;
  }
  if (run.run != 0) pairs[held++] = (run.run - 1) << kRlcLevelBits;  // trailing zeros
  if (held != 0) out.push_back(packWord(pairs, unsigned(held)));  // unused slots stay (0, 0)
  if (!out.empty()) out.back() |= 1;                                // term flag on the last word
  return out;
}

std::vector<uint64_t> rlcEncode(std::span<const int16_t> values) {
  return rlcEncode(std::span<const uint16_t>(reinterpret_cast<const uint16_t*>(values.data()), values.size()));
}

Expected<std::vector<uint16_t>> rlcDecode(std::span<const uint64_t> words, size_t n) {
  // Each word yields at most 3 * 32 values: bound n before allocating.
  if (n > uint64_t(words.size()) * kRlcPairsPerWord * kZerosPerLongPair) {
    return Error(Exit::Input, "corrupt RLC stream: ", words.size(), " words cannot hold ", n, " values");
  }
  std::vector<uint16_t> out(n, 0);
  size_t i = 0;
  for (size_t w = 0; w < words.size(); ++w) {
    const uint64_t word = words[w];
    const bool term = word & 1;
    if (term != (w + 1 == words.size())) {
      return Error(Exit::Input, "corrupt RLC stream: term flag ", term ? "set" : "clear", " on word ", w, " of ",
                   words.size());
    }
    for (unsigned slot = 0; slot < kRlcPairsPerWord; ++slot) {
      uint64_t pair = (word >> pairShift(slot)) & ((uint64_t(1) << kPairBits) - 1);
      uint64_t run = pair >> kRlcLevelBits, level = pair & 0xffff;
      if (i == n) {  // padding after the last value; a word of padding alone is not canonical
        if (pair != 0 || w + 1 != words.size() || slot == 0) {
          return Error(Exit::Input, "corrupt RLC stream: data after the ", n, " values in word ", w);
        }
        continue;
      }
      if (run + 1 > n - i) return Error(Exit::Input, "corrupt RLC stream: run past ", n, " values in word ", w);
      i += run;  // zeros are already in place
      out[i++] = uint16_t(level);
      // A zero level ends a pair early only for a run of 32 or at the very end.
      if (level == 0 && run != kRlcMaxRun && i != n) {
        return Error(Exit::Input, "corrupt RLC stream: short zero-level pair in word ", w);
      }
    }
  }
  if (i != n) return Error(Exit::Input, "truncated RLC stream: ", i, " of ", n, " values");
  return out;
}

Expected<std::vector<int16_t>> rlcDecodeSigned(std::span<const uint64_t> words, size_t n) {
  DNNC_ASSIGN(std::vector<uint16_t> u, rlcDecode(words, n));
  std::vector<int16_t> s(u.size());
  if (!u.empty()) std::memcpy(s.data(), u.data(), u.size() * sizeof(uint16_t));
  return s;
}

uint64_t rlcPairCount(std::span<const uint16_t> values) {
  return pairCount(values.size(), [&](size_t i) { return values[i] == 0; });
}

uint64_t rlcEncodedBits(std::span<const uint16_t> values) { return bitsForPairs(rlcPairCount(values)); }

uint64_t rlcEncodedBits(const float* x, size_t n) {
  return bitsForPairs(pairCount(n, [&](size_t i) { return x[i] == 0.0f; }));
}

std::vector<uint8_t> rlcWordsToBytes(std::span<const uint64_t> words) {
  std::vector<uint8_t> out(words.size() * 8);
  for (size_t w = 0; w < words.size(); ++w) {
    for (unsigned b = 0; b < 8; ++b) out[8 * w + b] = uint8_t(words[w] >> (8 * b));
  }
  return out;
}

Expected<std::vector<uint64_t>> rlcBytesToWords(std::span<const uint8_t> bytes) {
  if (bytes.size() % 8 != 0) {
    return Error(Exit::Input, "corrupt RLC stream: ", bytes.size(), " bytes is not a whole number of 64-bit words");
  }
  std::vector<uint64_t> words(bytes.size() / 8, 0);
  for (size_t w = 0; w < words.size(); ++w) {
    for (unsigned b = 0; b < 8; ++b) words[w] |= uint64_t(bytes[8 * w + b]) << (8 * b);
  }
  return words;
}

}  // namespace dnnc::formats
