// Doc-tests: every command line of README.md and docs/**/*.md runs against the built dnnc, so the
// documentation stays true. The convention (which blocks run, the placeholders, the markers) is in
// docs/architecture.md, "Doc-tests"; this file implements it:
//   ```sh       each command runs, in document order, in one scratch folder per document; it must exit 0,
//               or N with a trailing `# exit N` comment;
//   ```console  `$ ` lines run the same way and their stdout must match the lines that follow them
//               (whitespace runs compared as one space; a `...` line stands for any number of lines);
//   ```text     a synopsis: every --flag of a block opening with `dnnc CMD` must be in `dnnc CMD --help`;
//   <!-- doctest: skip REASON -->, <!-- doctest: needs PATH... -->, <!-- doctest: setup COMMAND -->
//               before a block: leave it out (saying why), run it only where PATH exists (the zoo), or
//               run a hidden command first (to make a placeholder such as pruned.onnx);
//   <!-- doctest: file NAME --> before any block: its text is saved as NAME for the commands after it.
// A `dnnc` command anywhere else in a code block (untagged fence, indented block) is an error: it
// would not be tested.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "test/support/test_support.h"

using namespace dnnc::test;
namespace fs = std::filesystem;

namespace {

// The doc-tests cut the bundled training set to its first images, so that the documented commands
// that train or calibrate on it (as written, with their own --limit) run in seconds.
constexpr int64_t kTrainingImages = 600;  // dnnc adapt holds out 500 + 64 at least

struct Command {
  int line = 0;               // of the document, 1-based
  std::string text;           // as shell text, continuation lines included
  int expected_exit = 0;      // `# exit N`
  bool check_output = false;  // a console block's command
  std::vector<std::string> expected_output;
};

Command commandAt(int line, const std::string& text) {
  Command c;
  c.line = line;
  c.text = text;
  return c;
}

struct Block {
  int line = 0;
  std::string lang;
  std::vector<std::string> body;  // fence indentation removed
  std::string skip_reason;
  std::vector<std::string> needs, setup;
  std::string file;  // <!-- doctest: file NAME -->: the block's text is saved as NAME
};

struct Document {
  std::vector<Block> blocks;
  std::vector<std::string> problems;  // convention violations, with line numbers
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

size_t indentOf(const std::string& s) {
  size_t n = s.find_first_not_of(' ');
  return n == std::string::npos ? s.size() : n;
}

// A line that a reader would run: `dnnc info ...` or `$ dnnc ...`.
bool looksLikeCommand(const std::string& line) {
  static const std::regex command(R"(^(\$ )?dnnc [a-z-]+( |$))");
  return std::regex_search(trim(line), command);
}

// Shell quoting state across the lines of one command: a command goes on while a quote is open or a
// line ends with a backslash (a comment ends the line's scan, so its apostrophes do not count).
struct ShellLineState {
  char quote = 0;  // ' or " while open

  // Feeds one line; true when the command continues on the next line.
  bool continues(const std::string& line) {
    bool escaped = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (escaped) {
        escaped = false;
      } else if (quote == '\'') {
        if (c == '\'') quote = 0;
      } else if (c == '\\') {
        escaped = true;
      } else if (quote == '"') {
        if (c == '"') quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        return false;
      }
    }
    return quote != 0 || escaped;
  }
};

void applyDirective(const std::string& text, int line, Block& pending, std::vector<std::string>& problems) {
  std::string kind = text.substr(0, text.find(' '));
  std::string rest = trim(text.size() > kind.size() ? text.substr(kind.size()) : "");
  auto where = "line " + std::to_string(line) + ": ";
  if (rest.empty()) {
    problems.push_back(where + "doctest directive '" + kind + "' needs an argument");
  } else if (kind == "skip") {
    pending.skip_reason = rest;
  } else if (kind == "needs") {
    std::istringstream paths(rest);
    for (std::string p; paths >> p;) pending.needs.push_back(p);
  } else if (kind == "setup") {
    pending.setup.push_back(rest);
  } else if (kind == "file") {
    pending.file = rest;
  } else {
    problems.push_back(where + "unknown doctest directive '" + kind + "' (skip, needs, setup, file)");
  }
}

Document parseDocument(const std::string& path) {
  Document doc;
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  static const std::regex fence(R"(^( *)(```+|~~~+)\s*([A-Za-z0-9_-]*))");
  static const std::regex directive(R"(^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$)");
  Block pending;  // directives waiting for their block
  bool has_pending = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    int line = static_cast<int>(i) + 1;
    std::smatch m;
    if (std::regex_search(l, m, directive)) {
      applyDirective(m[1], line, pending, doc.problems);
      has_pending = true;
      continue;
    }
    if (std::regex_search(l, m, fence)) {
      Block b = pending;
      b.line = line;
      b.lang = m[3];
      size_t indent = m[1].length();
      std::string closing = m[2];
      for (++i; i < lines.size() && trim(lines[i]).rfind(closing, 0) != 0; ++i)
        b.body.push_back(lines[i].substr(std::min(indent, indentOf(lines[i]))));
      bool runs = b.lang == "sh" || b.lang == "console";
      bool only_file = b.skip_reason.empty() && b.needs.empty() && b.setup.empty();
      if (has_pending && !runs && !only_file)
        doc.problems.push_back("line " + std::to_string(line) + ": doctest directives before a block that does not run");
      if (!runs && b.lang != "text")
        for (size_t k = 0; k < b.body.size(); ++k)
          if (looksLikeCommand(b.body[k]))
            doc.problems.push_back("line " + std::to_string(line + 1 + static_cast<int>(k)) +
                                   ": a dnnc command in a ```" + b.lang +
                                   " block is not tested: make it ```sh (or ```text for a synopsis)");
      doc.blocks.push_back(b);
      pending = Block{};
      has_pending = false;
      continue;
    }
    if (trim(l).empty()) continue;
    if (has_pending) {
      doc.problems.push_back("line " + std::to_string(line) + ": doctest directives must come right before a fenced block");
      pending = Block{};
      has_pending = false;
    }
    // An indented code block (four spaces or more, outside a fence) is never run.
    if (indentOf(l) >= 4 && looksLikeCommand(l))
      doc.problems.push_back("line " + std::to_string(line) +
                             ": a dnnc command in an indented block is not tested: put it in a ```sh block");
  }
  if (has_pending) doc.problems.push_back("doctest directives at the end of the document");
  return doc;
}

int expectedExit(const std::string& last_line) {
  static const std::regex exit_comment(R"((^|\s)#\s*exit\s+([0-9]+)\b)");
  std::smatch m;
  return std::regex_search(last_line, m, exit_comment) ? std::stoi(m[2]) : 0;
}

// Joins continuation lines (a trailing backslash) into one command; blank and comment lines go.
std::vector<Command> shellCommands(const Block& b) {
  std::vector<Command> out;
  ShellLineState state;
  bool continued = false;
  for (size_t k = 0; k < b.body.size(); ++k) {
    const std::string& l = b.body[k];
    if (continued) {
      out.back().text += "\n" + l;
    } else {
      if (trim(l).empty() || trim(l)[0] == '#') continue;
      out.push_back(commandAt(b.line + 1 + static_cast<int>(k), l));
    }
    continued = state.continues(l);
    if (!continued) out.back().expected_exit = expectedExit(l);
  }
  return out;
}

// `$ ` lines (and their continuation lines) are commands; the lines up to the next `$ ` their stdout.
std::vector<Command> consoleCommands(const Block& b) {
  std::vector<Command> out;
  ShellLineState state;
  bool continued = false;
  for (size_t k = 0; k < b.body.size(); ++k) {
    const std::string& l = b.body[k];
    if (continued) {
      out.back().text += "\n" + l;
      continued = state.continues(l);
      if (!continued) out.back().expected_exit = expectedExit(l);
    } else if (l.rfind("$ ", 0) == 0) {
      Command c = commandAt(b.line + 1 + static_cast<int>(k), l.substr(2));
      c.check_output = true;
      out.push_back(c);
      continued = state.continues(l.substr(2));
      if (!continued) out.back().expected_exit = expectedExit(l);
    } else if (!out.empty()) {
      out.back().expected_output.push_back(l);
    }
  }
  return out;
}

std::string collapseSpaces(const std::string& s) {
  std::string out;
  for (char c : trim(s))
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c == '\t' ? ' ' : c;
  return out;
}

// Expected lines against actual ones; "..." matches any run of lines. Returns "" or what differs.
std::string compareOutput(const std::vector<std::string>& expected, const std::string& actual_text) {
  std::vector<std::string> actual;
  std::istringstream in(actual_text);
  for (std::string l; std::getline(in, l);) actual.push_back(collapseSpaces(l));
  while (!actual.empty() && actual.back().empty()) actual.pop_back();
  std::vector<std::string> want;
  for (const auto& l : expected) want.push_back(collapseSpaces(l));
  while (!want.empty() && want.back().empty()) want.pop_back();

  size_t a = 0;
  for (size_t w = 0; w < want.size(); ++w) {
    if (want[w] == "...") {
      if (w + 1 == want.size()) return "";
      while (a < actual.size() && actual[a] != want[w + 1]) ++a;
      if (a == actual.size()) return "no output line after '...' reads: " + want[w + 1];
      continue;
    }
    if (a >= actual.size()) return "output ends before: " + want[w];
    if (actual[a] != want[w]) return "expected: " + want[w] + "\n     got: " + actual[a];
    ++a;
  }
  if (a < actual.size()) return "unexpected output line: " + actual[a];
  return "";
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A copy of a .npy file holding only its first n rows (the header's first dimension rewritten).
void writeNpyPrefix(const std::string& from, const std::string& to, int64_t n) {
  std::string bytes = readBytes(from);
  REQUIRE(bytes.compare(0, 6, "\x93NUMPY") == 0);
  REQUIRE(bytes[6] == 1);
  size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  std::string header = bytes.substr(10, header_len);
  std::smatch m;
  REQUIRE(std::regex_search(header, m, std::regex(R"('shape': \(([0-9]+))")));
  int64_t rows = std::stoll(m[1]);
  REQUIRE(rows >= n);
  size_t data = bytes.size() - 10 - header_len, row_bytes = data / static_cast<size_t>(rows);
  std::string dict = trim(m.prefix().str() + "'shape': (" + std::to_string(n) + m.suffix().str());
  size_t total = 10 + dict.size() + 1;
  dict += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = bytes.substr(0, 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  out += dict + bytes.substr(10 + header_len, row_bytes * static_cast<size_t>(n));
  writeBytes(to, out);
}

// The scratch folder a document's commands run in: test/ and docs/ as in the source tree (the
// training set cut to kTrainingImages), build/zoo when exported, and the placeholder files.
std::string prepareFolder(const std::string& tag) {
  fs::path dir = scratchDir("doc-" + tag), src = DNNC_SOURCE_DIR;
  fs::create_directories(dir / "test" / "data");
  for (const auto& e : fs::directory_iterator(src / "test"))
    if (e.path().filename() != "data") fs::create_directory_symlink(e.path(), dir / "test" / e.path().filename());
  for (const auto& e : fs::directory_iterator(src / "test" / "data")) {
    std::string name = e.path().filename().string();
    fs::path to = dir / "test" / "data" / name;
    if (name.rfind("fashion_train_", 0) == 0)
      writeNpyPrefix(e.path().string(), to.string(), kTrainingImages);
    else if (e.path().extension() == ".onnx")
      fs::copy_file(e.path(), to);  // a command may write beside or over it
    else
      fs::create_symlink(e.path(), to);
  }
  fs::create_directory_symlink(src / "docs", dir / "docs");
  fs::path zoo = fs::path(DNNC_BINARY_DIR) / "zoo";
  if (fs::exists(zoo)) {
    fs::create_directories(dir / "build");
    fs::create_directory_symlink(zoo, dir / "build" / "zoo");
  }
  fs::path data = dir / "test" / "data";
  fs::copy_file(data / "lenet5.onnx", dir / "model.onnx");
  for (const char* m : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"}) fs::copy_file(data / m, dir / m);
  fs::copy_file(data / "fashion_train_5000_images.npy", dir / "X.npy");
  fs::copy_file(data / "fashion_train_5000_labels.npy", dir / "Y.npy");
  return dir.string();
}

struct Outcome {
  int exit_code = -1;  // -1: not reached
  std::string out, err;
};

// Runs the commands as one bash script (variables set by one command reach the next), each with
// its stdout and stderr captured and its exit code recorded.
std::vector<Outcome> runAll(const std::string& dir, const std::vector<Command>& commands) {
  std::string bin = fs::path(DNNC_BIN).parent_path().string(), log = dir + "/.doctest";
  fs::create_directories(log);
  std::string script = "set -o pipefail\ncd " + shellQuote(dir) + "\nexport PATH=" + shellQuote(bin) + ":\"$PATH\"\n";
  for (size_t k = 0; k < commands.size(); ++k) {
    std::string base = shellQuote(log + "/" + std::to_string(k));
    script += "start=$EPOCHREALTIME\n";
    script += "{ " + commands[k].text + "\n} >" + base + ".out 2>" + base + ".err </dev/null\n";
    script += "echo $? >" + base + ".rc\n";
    script += "echo \"$start $EPOCHREALTIME\" >" + base + ".time\n";  // for a look at slow commands
  }
  writeBytes(log + "/script.sh", script);
  CommandResult r = runProgram({"bash", log + "/script.sh"});
  INFO("bash: " << r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<Outcome> out(commands.size());
  for (size_t k = 0; k < commands.size(); ++k) {
    std::string base = log + "/" + std::to_string(k);
    if (!fs::exists(base + ".rc")) continue;
    out[k].exit_code = std::stoi(readBytes(base + ".rc"));
    out[k].out = readBytes(base + ".out");
    out[k].err = readBytes(base + ".err");
  }
  return out;
}

std::string lastLines(const std::string& text, size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += "  " + lines[i] + "\n";
  return out;
}

// Flags of a ```text synopsis that `dnnc CMD --help` does not list.
std::vector<std::string> unknownSynopsisFlags(const Block& b) {
  static std::map<std::string, std::string> help_of;
  std::smatch m;
  if (b.body.empty() || !std::regex_search(b.body[0], m, std::regex(R"(^dnnc ([a-z-]+))"))) return {};
  std::string command = m[1];
  if (!help_of.count(command)) help_of[command] = runDnnc({command, "--help"}).out;
  const std::string& help = help_of[command];
  std::vector<std::string> unknown;
  static const std::regex flag(R"(--[a-z][a-z0-9-]*)");
  for (const auto& l : b.body)
    for (std::sregex_iterator it(l.begin(), l.end(), flag), end; it != end; ++it) {
      std::regex listed(it->str() + R"(([^a-z0-9-]|$))");
      if (!std::regex_search(help, listed)) unknown.push_back("dnnc " + command + " " + it->str());
    }
  return unknown;
}

// The script a command starts (after VAR=value assignments) when it is one of the repository's:
// tools/..., bench/...; "" for dnnc, shell built-ins and what the build makes.
std::string repositoryScript(const std::string& command) {
  std::istringstream words(command);
  for (std::string w; words >> w;) {
    if (w.find('=') != std::string::npos) continue;
    bool in_tree = w.find('/') != std::string::npos && w[0] != '/' && w[0] != '$' && w.rfind("build/", 0) != 0;
    return in_tree ? w : "";
  }
  return "";
}

struct Plan {
  std::vector<Command> commands;
  std::vector<std::string> skipped;  // blocks left out, with the reason
  int blocks_run = 0;
};

Plan planDocument(const Document& doc, const std::string& dir) {
  Plan plan;
  for (const Block& b : doc.blocks) {
    if (!b.file.empty()) {  // a file the document shows, for the commands after it
      std::string text = "cat >" + shellQuote(b.file) + " <<'DOCTEST_EOF'\n";
      for (const auto& l : b.body) text += l + "\n";
      plan.commands.push_back(commandAt(b.line, text + "DOCTEST_EOF"));
    }
    if (b.lang != "sh" && b.lang != "console") continue;
    std::string where = "line " + std::to_string(b.line) + ": ";
    if (!b.skip_reason.empty()) {
      plan.skipped.push_back(where + b.skip_reason);
      continue;
    }
    std::string missing;
    for (const auto& p : b.needs)
      if (!fs::exists(fs::path(dir) / p)) missing += " " + p;
    if (!missing.empty()) {
      plan.skipped.push_back(where + "missing" + missing);
      continue;
    }
    for (const auto& s : b.setup) plan.commands.push_back(commandAt(b.line, s));
    auto commands = b.lang == "sh" ? shellCommands(b) : consoleCommands(b);
    plan.commands.insert(plan.commands.end(), commands.begin(), commands.end());
    ++plan.blocks_run;
  }
  return plan;
}

void checkDocument(const std::string& relative) {
  std::string path = std::string(DNNC_SOURCE_DIR) + "/" + relative;
  REQUIRE(fs::exists(path));
  Document doc = parseDocument(path);
  for (const auto& p : doc.problems) FAIL_CHECK(relative << ": " << p);
  for (const Block& b : doc.blocks) {
    if (b.lang == "text")
      for (const auto& f : unknownSynopsisFlags(b))
        FAIL_CHECK(relative << ": line " << b.line << ": synopsis shows a flag that '" << f << "' does not have");
    // Blocks that do not run (skipped, or needing the zoo) still name scripts that must exist.
    if (b.lang == "sh")
      for (const Command& c : shellCommands(b)) {
        std::string script = repositoryScript(c.text);
        if (!script.empty() && !fs::exists(fs::path(DNNC_SOURCE_DIR) / script))
          FAIL_CHECK(relative << ":" << c.line << ": no such script in the repository: " << script);
      }
  }

  bool runs = false;
  for (const Block& b : doc.blocks) runs = runs || b.lang == "sh" || b.lang == "console" || !b.file.empty();
  if (!runs) return;
  std::string tag = relative;
  for (char& c : tag)
    if (c == '/' || c == '.') c = '_';
  std::string dir = prepareFolder(tag);
  Plan plan = planDocument(doc, dir);
  for (const auto& s : plan.skipped) WARN(relative << ": not run: " << s);
  std::vector<Outcome> outcomes = runAll(dir, plan.commands);
  for (size_t k = 0; k < plan.commands.size(); ++k) {
    const Command& c = plan.commands[k];
    const Outcome& o = outcomes[k];
    INFO(relative << ":" << c.line << ": " << c.text << "\nstderr:\n" << lastLines(o.err, 15));
    CHECK(o.exit_code == c.expected_exit);
    if (c.check_output && o.exit_code == c.expected_exit) {
      std::string diff = compareOutput(c.expected_output, o.out);
      INFO("stdout differs from the document:\n" << diff);
      CHECK(diff.empty());
    }
  }
  if (!std::getenv("DNNC_DOCTEST_KEEP")) fs::remove_all(dir);  // kept for a look at the commands' output
}

// The documents DOC_TEST registers; every Markdown file of the tree must be one of them.
std::set<std::string>& registeredDocuments() {
  static std::set<std::string> documents;
  return documents;
}

}  // namespace

TEST_CASE("doc-tests cover every document") {
  std::set<std::string> found = {"README.md"};
  fs::path src = DNNC_SOURCE_DIR;
  for (const auto& e : fs::recursive_directory_iterator(src / "docs"))
    if (e.path().extension() == ".md") found.insert(fs::relative(e.path(), src).string());
  CHECK(registeredDocuments() == found);
}

TEST_CASE("doc-test command lines: continuation by backslash or an open quote, not by a comment") {
  auto continues = [](std::vector<std::string> lines) {
    ShellLineState state;
    std::vector<bool> out;
    for (const auto& l : lines) out.push_back(state.continues(l));
    return out;
  };
  CHECK(continues({"dnnc a \\", "b"}) == std::vector<bool>{true, false});
  CHECK(continues({"dnnc run --passes 'a(x=1,", "y=2)'"}) == std::vector<bool>{true, false});
  CHECK(continues({"dnnc run x   # exit 2: don't"}) == std::vector<bool>{false});
  CHECK(continues({"D=\"--data x \\\"y\\\"\""}) == std::vector<bool>{false});
  CHECK(continues({"echo a#b 'c"}) == std::vector<bool>{true});
}

TEST_CASE("doc-test output comparison: whitespace runs and '...'") {
  CHECK(compareOutput({"a  b", "c"}, "a b\nc\n").empty());
  CHECK(compareOutput({"a", "..."}, "a\nb\nc\n").empty());
  CHECK(compareOutput({"a", "...", "c"}, "a\nb\nc\n").empty());
  CHECK_FALSE(compareOutput({"a", "c"}, "a\nb\nc\n").empty());
  CHECK_FALSE(compareOutput({"a", "b"}, "a\n").empty());
  CHECK_FALSE(compareOutput({"a", "...", "d"}, "a\nb\nc\n").empty());
}

#define DOC_TEST_CAT2(a, b) a##b
#define DOC_TEST_CAT(a, b) DOC_TEST_CAT2(a, b)
#define DOC_TEST(path)                                                                               \
  static const bool DOC_TEST_CAT(doc_registered_, __LINE__) = registeredDocuments().insert(path).second; \
  TEST_CASE("doc-test " path) { checkDocument(path); }

DOC_TEST("README.md")
DOC_TEST("docs/accelerator-spec.md")
DOC_TEST("docs/architecture.md")
DOC_TEST("docs/batch.md")
DOC_TEST("docs/compress.md")
DOC_TEST("docs/benchmarks.md")
DOC_TEST("docs/conformance.md")
DOC_TEST("docs/decompose.md")
DOC_TEST("docs/energy-model.md")
DOC_TEST("docs/formats/README.md")
DOC_TEST("docs/formats/bitstream.md")
DOC_TEST("docs/formats/byte-planes.md")
DOC_TEST("docs/formats/csr-ac.md")
DOC_TEST("docs/formats/csr-ans.md")
DOC_TEST("docs/formats/csr.md")
DOC_TEST("docs/formats/dnnc.md")
DOC_TEST("docs/formats/huffman.md")
DOC_TEST("docs/formats/rlc.md")
DOC_TEST("docs/install.md")
DOC_TEST("docs/passes.md")
DOC_TEST("docs/pipeline.md")
DOC_TEST("docs/pruning.md")
DOC_TEST("docs/recipes/README.md")
DOC_TEST("docs/report-schema.md")
DOC_TEST("docs/report.md")
DOC_TEST("docs/results.md")
DOC_TEST("docs/training.md")
DOC_TEST("docs/zoo.md")
