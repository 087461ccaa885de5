// AnalysisManager: lazily computed, cached results keyed by analysis type, invalidated by what a pass
// does not preserve (the shape of LLVM's new pass manager, kept small).
#pragma once
#include <any>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <typeindex>

namespace dnnc {

class PreservedAnalyses {
 public:
  static PreservedAnalyses all() { PreservedAnalyses p; p.all_ = true; return p; }
  static PreservedAnalyses none() { return {}; }
  template <class A> PreservedAnalyses& preserve() { kept_.insert(std::type_index(typeid(A))); return *this; }
  bool preserves(std::type_index t) const { return all_ || kept_.count(t) > 0; }
  bool preservesAll() const { return all_; }

 private:
  bool all_ = false;
  std::set<std::type_index> kept_;
};

class AnalysisManager {
 public:
  // Returns the cached result of A, computing it with `compute` on first use.
  template <class A, class F>
  const A& get(F&& compute) {
    auto key = std::type_index(typeid(A));
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, std::any(compute())).first;
    return std::any_cast<const A&>(it->second);
  }
  // The cached result of A, or nullptr when nothing computed it (for analyses that only another
  // pass can compute, such as the Hessian diagonal).
  template <class A>
  const A* find() const {
    auto it = cache_.find(std::type_index(typeid(A)));
    return it == cache_.end() ? nullptr : std::any_cast<A>(&it->second);
  }
  void invalidate(const PreservedAnalyses& kept) {
    if (kept.preservesAll()) return;
    for (auto it = cache_.begin(); it != cache_.end();) it = kept.preserves(it->first) ? std::next(it) : cache_.erase(it);
  }
  void clear() { cache_.clear(); }

 private:
  std::map<std::type_index, std::any> cache_;
};

}  // namespace dnnc
