// AnalysisManager: lazily computed, cached results keyed by analysis type and parameters, invalidated by
// what a pass does not preserve (the shape of LLVM's new pass manager, kept small).
//
// An analysis is a small value type A that names its parameters and how to compute its result:
//
//   struct ShapeAnalysis {
//     using Result = ResolvedShapes;
//     InputShapes inputs;                       // the parameters
//     std::string key() const;                  // them as text: equal keys give equal results
//     Expected<Result> run(const Model& model, AnalysisManager& am) const;
//   };
//   DNNC_ASSIGN(const ResolvedShapes* shapes, ctx.analyses.get(model, ShapeAnalysis{ctx.input_shapes}));
//
// get() computes on first use for each (type, key) and keeps the result until a pass that does not
// preserve A runs; a failure is returned and not cached. Results are for the model the pipeline is
// working on: passes hand in that model, and invalidate() is what keeps the cache true to it.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <typeindex>
#include <utility>

#include "lib/ir/model.h"
#include "lib/support/error.h"

namespace dnnc {

class PreservedAnalyses {
 public:
  static PreservedAnalyses all() { PreservedAnalyses p; p.all_ = true; return p; }
  static PreservedAnalyses none() { return {}; }
  // Keeps every cached result of A (whatever its parameters).
  template <class A> PreservedAnalyses& preserve() { kept_.insert(std::type_index(typeid(A))); return *this; }
  bool preserves(std::type_index t) const { return all_ || kept_.count(t) > 0; }
  bool preservesAll() const { return all_; }

 private:
  bool all_ = false;
  std::set<std::type_index> kept_;
};

class AnalysisManager {
 public:
  template <class A>
  Expected<const typename A::Result*> get(const Model& model, const A& analysis = A{}) {
    Key key{std::type_index(typeid(A)), analysis.key()};
    if (auto it = cache_.find(key); it != cache_.end()) return static_cast<const typename A::Result*>(it->second.value.get());
    DNNC_ASSIGN(typename A::Result result, analysis.run(model, *this));
    auto stored = std::make_shared<typename A::Result>(std::move(result));
    const typename A::Result* out = stored.get();
    cache_.emplace(std::move(key), Entry{std::move(stored), ++seq_});
    return out;
  }

  // Stores a result computed elsewhere (a pass that knows it, a test), as if get() had computed it.
  template <class A>
  const typename A::Result* put(const A& analysis, typename A::Result result) {
    auto stored = std::make_shared<typename A::Result>(std::move(result));
    const typename A::Result* out = stored.get();
    cache_.insert_or_assign(Key{std::type_index(typeid(A)), analysis.key()}, Entry{std::move(stored), ++seq_});
    return out;
  }

  // The cached result of A for these parameters, or nullptr (never computes).
  template <class A>
  const typename A::Result* cached(const A& analysis = A{}) const {
    auto it = cache_.find(Key{std::type_index(typeid(A)), analysis.key()});
    return it == cache_.end() ? nullptr : static_cast<const typename A::Result*>(it->second.value.get());
  }

  // Any cached result of A whatever its parameters (the latest computed), or nullptr: for a pass that
  // gladly reuses what an earlier pass computed (Hessian-weighted sharing after OBD pruning).
  template <class A>
  const typename A::Result* findAny() const {
    const std::type_index type(typeid(A));
    const void* latest = nullptr;
    uint64_t latest_seq = 0;
    for (const auto& [key, entry] : cache_)
      if (key.type == type && entry.seq >= latest_seq) latest = entry.value.get(), latest_seq = entry.seq;
    return static_cast<const typename A::Result*>(latest);
  }

  void invalidate(const PreservedAnalyses& kept) {
    if (kept.preservesAll()) return;
    for (auto it = cache_.begin(); it != cache_.end();) it = kept.preserves(it->first.type) ? std::next(it) : cache_.erase(it);
  }
  void clear() { cache_.clear(); }
  size_t size() const { return cache_.size(); }

 private:
  struct Key {
    std::type_index type;
    std::string params;
    bool operator<(const Key& o) const { return type != o.type ? type < o.type : params < o.params; }
  };
  struct Entry {
    std::shared_ptr<void> value;
    uint64_t seq = 0;  // order of computation, for findAny
  };
  std::map<Key, Entry> cache_;
  uint64_t seq_ = 0;
};

}  // namespace dnnc
