#include "lib/pass/pipeline.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "lib/ir/onnx_io.h"
#include "lib/support/check.h"
#include "lib/support/suggest.h"

namespace dnnc {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Expected<std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>> parse() {
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> out;
    skipSpace();
    if (pos_ == text_.size()) return fail("the pipeline is empty");
    while (true) {
      DNNC_ASSIGN(std::string name, identifier("a pass name"));
      std::vector<std::pair<std::string, std::string>> params;
      skipSpace();
      if (peek('(')) {
        ++pos_;
        skipSpace();
        if (!peek(')')) {
          while (true) {
            DNNC_ASSIGN(std::string key, identifier("a parameter name"));
            skipSpace();
            if (!peek('=')) return fail(strCat("expected '=' after parameter '", key, "'"));
            ++pos_;
            DNNC_ASSIGN(std::string value, valueText());
            params.emplace_back(key, value);
            skipSpace();
            if (peek(',')) { ++pos_; skipSpace(); continue; }
            break;
          }
        }
        if (!peek(')')) return fail("expected ',' or ')'");
        ++pos_;
        skipSpace();
      }
      out.emplace_back(name, std::move(params));
      if (pos_ == text_.size()) break;
      if (!peek(',')) return fail("expected ',' between passes");
      ++pos_;
      skipSpace();
    }
    return out;
  }

 private:
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void skipSpace() { while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_; }

  Error fail(const std::string& why) const {
    return Error(Exit::Usage, "cannot parse pipeline '", std::string(text_), "': ", why, " at column ", pos_ + 1);
  }

  Expected<std::string> identifier(const char* what) {
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' || text_[pos_] == '_'))
      ++pos_;
    if (start == pos_) return fail(strCat("expected ", what));
    return std::string(text_.substr(start, pos_ - start));
  }

  Expected<std::string> valueText() {
    skipSpace();
    if (peek('\'') || peek('"')) {
      char q = text_[pos_++];
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != q) ++pos_;
      if (pos_ == text_.size()) return fail("unterminated quote");
      std::string v(text_.substr(start, pos_ - start));
      ++pos_;
      return v;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' && text_[pos_] != '(') ++pos_;
    std::string v(text_.substr(start, pos_ - start));
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    if (v.empty()) return fail("expected a value");
    return v;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string quoteIfNeeded(const std::string& v) {
  bool plain = !v.empty();
  for (char c : v)
    if (c == ',' || c == '(' || c == ')' || c == '\'' || c == '"' || std::isspace(static_cast<unsigned char>(c))) plain = false;
  if (plain) return v;
  return v.find('\'') == std::string::npos ? "'" + v + "'" : "\"" + v + "\"";
}

}  // namespace

Expected<Pipeline> parsePipeline(std::string_view text, const PassRegistry& registry) {
  Parser parser(text);
  DNNC_ASSIGN(auto raw, parser.parse());
  Pipeline p;
  for (auto& [name, given] : raw) {
    const PassInfo* info = registry.find(name);
    if (!info) {
      Error e(Exit::Usage, "unknown pass '", name, "'");
      std::string close = closestMatch(name, registry.names());
      return std::move(e).withHint(close.empty() ? "'dnnc passes' lists the passes" : strCat("did you mean '", close, "'?"));
    }
    DNNC_ASSIGN(PassParams params, PassParams::parse(name, info->params, given));
    p.elements.push_back({name, std::move(params)});
  }
  return p;
}

std::string Pipeline::print() const {
  std::string out;
  for (const auto& e : elements) {
    if (!out.empty()) out += ",";
    out += e.name;
    if (e.params.items().empty()) continue;
    out += "(";
    bool first = true;
    for (const auto& [k, v] : e.params.items()) {
      if (!first) out += ",";
      out += k + "=" + quoteIfNeeded(v);
      first = false;
    }
    out += ")";
  }
  return out;
}

Expected<nlohmann::json> runPipeline(Model& model, const Pipeline& pipeline, const PassRegistry& registry,
                                     PassContext& ctx, const RunOptions& options) {
  nlohmann::json reports = nlohmann::json::array();
  // Every pass is created (its params checked) before any runs.
  std::vector<std::unique_ptr<Pass>> passes;
  for (const auto& element : pipeline.elements) {
    const PassInfo* info = registry.find(element.name);
    DNNC_CHECK(info != nullptr, "pass ", element.name, " vanished from the registry");
    DNNC_ASSIGN(auto pass, info->create(element.params));
    passes.push_back(std::move(pass));
  }
  // A copy of the whole model only when a pass will read it.
  const bool keep_input = std::any_of(passes.begin(), passes.end(), [](const auto& p) { return p->usesPipelineInput(); });
  if (keep_input && !ctx.pipeline_input) ctx.pipeline_input = std::make_shared<const Model>(model);
  for (size_t k = 0; k < passes.size(); ++k) {
    const auto& element = pipeline.elements[k];
    auto& pass = passes[k];
    PassLog log;
    ctx.log = &log;
    auto start = std::chrono::steady_clock::now();
    auto preserved = pass->run(model, ctx);
    ctx.log = nullptr;
    if (!preserved) {
      // Errors name the pass once: passes that already start their message with their name keep it.
      Error e = std::move(preserved).error();
      const std::string prefix = strCat(element.name, ": ");
      if (e.message().rfind(prefix, 0) == 0) return e;
      return std::move(e).context(prefix);
    }
    ctx.analyses.invalidate(*preserved);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (options.verify_each) {
      Status st = checkModel(model);
      if (!st) return Error(Exit::Internal, "pass '", element.name, "' produced an invalid model (a bug in dnnc): ",
                            st.error().message());
    }
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : element.params.items()) params[k] = v;
    reports.push_back({{"name", element.name}, {"params", params}, {"time_ms", ms}, {"summary", log.summary},
                       {"rewrites", log.rewrites}, {"skipped", log.skipped}});
  }
  return reports;
}

}  // namespace dnnc
