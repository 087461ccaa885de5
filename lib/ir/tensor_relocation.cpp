#include "lib/ir/tensor_relocation.h"

#include "lib/ir/external_data.h"
#include "lib/ir/tensor.h"
#include "lib/support/atomic_file.h"

namespace dnnc {

void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& fn) {
  for (auto& t : *g.mutable_initializer()) fn(t);
  for (auto& node : *g.mutable_node()) {
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_t()) fn(*attr.mutable_t());
      for (auto& t : *attr.mutable_tensors()) fn(t);
      if (attr.has_g()) forEachTensor(*attr.mutable_g(), fn);
      for (auto& sub : *attr.mutable_graphs()) forEachTensor(sub, fn);
    }
  }
}

TensorRelocation::~TensorRelocation() {
  for (auto& m : moved_out_) {
    m.tensor->clear_external_data();
    m.tensor->clear_data_location();
    m.tensor->mutable_raw_data()->swap(m.raw);
  }
  for (auto& r : replaced_) *r.tensor = std::move(r.original);
}

Status TensorRelocation::readIn(onnx::TensorProto& t) {
  replaced_.push_back({&t, t});
  DNNC_ASSIGN(Tensor values, readTensor(t, model_.base_dir));
  writeTensor(values, t);
  t.clear_external_data();
  t.clear_data_location();
  return {};
}

Status TensorRelocation::inlineExternal() {
  Status result;
  forEachTensor(*model_.proto.mutable_graph(), [&](onnx::TensorProto& t) {
    if (result && isExternal(t)) result = readIn(t);
  });
  return result;
}

Status TensorRelocation::externalize(const std::string& data_path, const std::string& location, size_t threshold) {
  return writeFileAtomic(data_path, [&](int fd) -> Status {
    uint64_t offset = 0;
    Status result;
    forEachTensor(*model_.proto.mutable_graph(), [&](onnx::TensorProto& t) {
      if (!result) return;
      // An external tensor is read in (restored from its original afterwards), one at a time.
      const bool was_external = isExternal(t);
      if (was_external) {
        result = readIn(t);
        if (!result) return;
      }
      if (!t.has_raw_data() || t.raw_data().size() < threshold) return;
      static const char kZeros[64] = {};
      const uint64_t pad = (64 - offset % 64) % 64;
      result = writeAll(fd, std::string_view(kZeros, pad), data_path);
      if (result) result = writeAll(fd, t.raw_data(), data_path);
      if (!result) return;
      offset += pad;
      const uint64_t length = t.raw_data().size();
      if (was_external) t.clear_raw_data();
      else {
        moved_out_.push_back({&t, {}});
        t.mutable_raw_data()->swap(moved_out_.back().raw);
        t.clear_raw_data();
      }
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      for (const auto& [key, value] : {std::pair<const char*, std::string>{"location", location},
                                       {"offset", std::to_string(offset)},
                                       {"length", std::to_string(length)}}) {
        auto* e = t.add_external_data();
        e->set_key(key);
        e->set_value(value);
      }
      offset += length;
    });
    return result;
  });
}

}  // namespace dnnc
