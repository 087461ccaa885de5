// Serialisation of a canonical Huffman code: its code lengths, run-length tokenised and coded with a
// small code-length code, in the spirit of DEFLATE's dynamic block header (RFC 1951 3.2.7). Large
// sparse alphabets (16-bit symbols of which a few hundred occur) cost a few bits per run of unused
// symbols instead of a length field per symbol.
#include <algorithm>

#include "formats/code_lengths.h"
#include "formats/huffman.h"
#include "lib/support/check.h"

namespace dnnc::formats {
namespace {

// Token alphabet: kZeroRun, kRepeat, then kLiteral + l for each length l in 0..max_length.
constexpr uint32_t kZeroRun = 0;  // + expGolomb(r - 3, zero_run_order): r >= 3 unused symbols
constexpr uint32_t kRepeat = 1;   // + expGolomb0(r - 3): the previous length r >= 3 more times
constexpr uint32_t kLiteral = 2;
constexpr unsigned kMinRun = 3;
constexpr unsigned kTokenLengthBits = 3;  // token code lengths 0..7
constexpr unsigned kMaxTokenLength = 7;
constexpr unsigned kOrderBits = 4;  // exp-Golomb order of zero runs, 0..15

struct Token {
  uint32_t symbol;
  uint64_t run;  // for kZeroRun and kRepeat
};

std::vector<Token> tokenize(const std::vector<uint8_t>& lengths) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < lengths.size()) {
    uint8_t l = lengths[i];
    size_t j = i + 1;
    while (j < lengths.size() && lengths[j] == l) ++j;
    size_t run = j - i;
    if (l == 0 && run >= kMinRun) {
      tokens.push_back({kZeroRun, run});
    } else if (l != 0 && run >= 1 + kMinRun) {
      tokens.push_back({kLiteral + l, 0});
      tokens.push_back({kRepeat, run - 1});
    } else {
      for (size_t k = 0; k < run; ++k) tokens.push_back({kLiteral + l, 0});
    }
    i = j;
  }
  return tokens;
}

// Sparse alphabets have long zero runs; the exp-Golomb order that codes them best is worth 4 bits.
unsigned bestZeroRunOrder(const std::vector<Token>& tokens) {
  uint64_t best_bits = UINT64_MAX;
  unsigned best = 0;
  for (unsigned k = 0; k < (1u << kOrderBits); ++k) {
    uint64_t bits = 0;
    for (const Token& t : tokens) {
      if (t.symbol == kZeroRun) bits += expGolombBits(t.run - kMinRun, k);
    }
    if (bits < best_bits) {
      best_bits = bits;
      best = k;
    }
  }
  return best;
}

}  // namespace

void HuffmanCode::write(BitWriter& out) const {
  out.writeExpGolomb(lengths_.size(), 0);
  if (lengths_.empty()) return;
  const unsigned max_len = std::max(max_length_, 1u);  // an all-unused table still names a length
  out.write(max_len - 1, 4);
  std::vector<Token> tokens = tokenize(lengths_);
  const unsigned zero_run_order = bestZeroRunOrder(tokens);
  out.write(zero_run_order, kOrderBits);
  std::vector<uint64_t> token_counts(kLiteral + max_len + 1, 0);
  for (const Token& t : tokens) ++token_counts[t.symbol];
  HuffmanCode token_code(limitedCodeLengths(token_counts, kMaxTokenLength));
  for (uint8_t l : token_code.lengths()) out.write(l, kTokenLengthBits);
  for (const Token& t : tokens) {
    token_code.encode(out, t.symbol);
    if (t.symbol == kZeroRun) out.writeExpGolomb(t.run - kMinRun, zero_run_order);
    if (t.symbol == kRepeat) out.writeExpGolomb(t.run - kMinRun, 0);
  }
}

uint64_t HuffmanCode::tableBits() const {
  BitWriter w;
  write(w);
  return w.bitSize();
}

Expected<HuffmanCode> HuffmanCode::read(BitReader& in) {
  DNNC_ASSIGN(uint64_t alphabet, in.readExpGolomb(0));
  if (alphabet > kMaxHuffmanAlphabet) {
    return Error(Exit::Input, "corrupt Huffman table: alphabet of ", alphabet, " symbols (max ",
                 kMaxHuffmanAlphabet, ")");
  }
  if (alphabet == 0) return HuffmanCode(std::vector<uint8_t>{});
  DNNC_ASSIGN(uint64_t max_len_field, in.read(4));
  const unsigned max_len = unsigned(max_len_field) + 1;
  DNNC_ASSIGN(uint64_t zero_run_order, in.read(kOrderBits));
  std::vector<uint8_t> token_lengths(kLiteral + max_len + 1);
  for (auto& l : token_lengths) {
    DNNC_ASSIGN(uint64_t v, in.read(kTokenLengthBits));
    l = uint8_t(v);
  }
  DNNC_ASSIGN(HuffmanCode token_code, fromLengths(std::move(token_lengths)));
  if (token_code.usedSymbols() == 0) return Error(Exit::Input, "corrupt Huffman table: empty length code");
  HuffmanDecoder tokens(token_code);

  std::vector<uint8_t> lengths(alphabet, 0);
  size_t i = 0;
  while (i < alphabet) {
    DNNC_ASSIGN(uint32_t t, tokens.decodeOne(in));
    if (t == kZeroRun || t == kRepeat) {
      if (t == kRepeat && i == 0) return Error(Exit::Input, "corrupt Huffman table: repeat with no length before it");
      DNNC_ASSIGN(uint64_t extra, in.readExpGolomb(t == kZeroRun ? unsigned(zero_run_order) : 0));
      if (extra > alphabet - i || extra + kMinRun > alphabet - i) {
        return Error(Exit::Input, "corrupt Huffman table: run of ", extra + kMinRun, " lengths past symbol ", i,
                     " of ", alphabet);
      }
      uint8_t l = t == kZeroRun ? 0 : lengths[i - 1];
      std::fill_n(lengths.begin() + ptrdiff_t(i), extra + kMinRun, l);
      i += extra + kMinRun;
    } else {
      lengths[i++] = uint8_t(t - kLiteral);  // t < kLiteral + max_len + 1 by the token alphabet
    }
  }
  unsigned actual_max = *std::max_element(lengths.begin(), lengths.end());
  if (std::max(actual_max, 1u) != max_len) {
    return Error(Exit::Input, "corrupt Huffman table: longest code ", actual_max, " but header says ", max_len);
  }
  return fromLengths(std::move(lengths));
}

}  // namespace dnnc::formats
