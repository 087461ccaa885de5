// CodebookInput: what the codebook codecs' trials of one tensor share, made on first use.
#include "lib/pack/bounds.h"
#include "lib/pack/codec_ops.h"

namespace dnnc::pack {

const std::vector<uint32_t>& CodebookInput::wide() {
  if (!wide_) wide_.emplace(s.symbols.begin(), s.symbols.end());
  return *wide_;
}

const formats::SparseEntries& CodebookInput::entries() {
  if (!entries_) entries_ = formats::sparseEntries(std::span<const uint16_t>(s.symbols));
  return *entries_;
}

double CodebookInput::entropyBits() {
  if (!entropy_bits_) entropy_bits_ = sparseEntropyBits(entries());
  return *entropy_bits_;
}

}  // namespace dnnc::pack
