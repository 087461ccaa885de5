#include "cli/batch_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "lib/support/atomic_file.h"

namespace dnnc::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A job's steps, each one dnnc process: the recipe, then the scoring it asked for.
enum class Step { Recipe, EvalBefore, EvalAfter, Energy, Done };

struct Running {
  size_t job = 0;
  Step step = Step::Recipe;
  Clock::time_point start;  // of the job (its timeout covers every step)
  bool timed_out = false;
  int recipe_status = 0;  // the recipe's wait status, once it has ended
};

std::string selfExe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("dnnc") : p.string();
}

// In the child: its own output files, the memory cap, death with the batch, then dnnc itself.
[[noreturn]] void execJob(const std::string& exe, const std::vector<std::string>& argv, const std::string& log,
                          uint64_t max_memory, bool append) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd >= 0) dup2(fd, 1), dup2(fd, 2), ::close(fd);
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0), ::close(devnull);
  if (max_memory > 0) {
    rlimit lim{max_memory, max_memory};
    setrlimit(RLIMIT_AS, &lim);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(exe.c_str(), args.data());
  _exit(127);
}

std::string outputModel(const BatchJob& job, const BatchRunOptions& o) {
  return (fs::path(o.out_dir) / "models" / (job.id + ".onnx")).string();
}

std::string reportPath(const BatchJob& job, const BatchRunOptions& o, const std::string& what) {
  return (fs::path(o.out_dir) / "reports" / (job.id + what + ".json")).string();
}

// The command line of one step; empty when the job does not ask for it.
std::vector<std::string> stepArgv(const BatchJob& job, Step step, const BatchRunOptions& o) {
  std::vector<std::string> argv = {"dnnc"};
  const std::vector<std::string>* flags = nullptr;
  std::string report;
  switch (step) {
    case Step::Recipe:
      argv.insert(argv.end(), {job.args[0], job.model, "-o", outputModel(job, o)});
      argv.insert(argv.end(), job.args.begin() + 1, job.args.end());
      report = reportPath(job, o, "");
      break;
    case Step::EvalBefore:
    case Step::EvalAfter:
      if (job.eval_args.empty()) return {};
      argv.insert(argv.end(), {"eval", step == Step::EvalBefore ? job.model : outputModel(job, o)});
      flags = &job.eval_args;
      report = reportPath(job, o, step == Step::EvalBefore ? ".eval-before" : ".eval-after");
      break;
    case Step::Energy:
      if (job.energy_args.empty()) return {};
      argv.insert(argv.end(), {"energy", job.model, outputModel(job, o)});
      flags = &job.energy_args;
      report = reportPath(job, o, ".energy");
      break;
    case Step::Done: return {};
  }
  if (flags) argv.insert(argv.end(), flags->begin(), flags->end());
  argv.insert(argv.end(), {"--json", report, "--quiet", "--threads", std::to_string(o.threads)});
  return argv;
}

Step nextStep(Step s) { return s == Step::Done ? Step::Done : Step(int(s) + 1); }

// A step's JSON report, or null.
nlohmann::json readReport(const std::string& path) {
  auto text = readFile(path);
  if (!text) return nullptr;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

// The last "dnnc: ..." line of a job's log: what went wrong, in dnnc's words.
std::string lastError(const std::string& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (line.rfind("dnnc: ", 0) == 0) last = line;
  return last;
}

// The result of a finished job: `wait_status` is that of its last step (the recipe's, or the scoring step
// that failed or came last).
nlohmann::json resultOf(const BatchJob& job, const Running& r, int wait_status, const BatchRunOptions& o) {
  const std::string log = (fs::path(o.out_dir) / "logs" / (job.id + ".log")).string();
  const std::string report_path = reportPath(job, o, "");
  nlohmann::json res = {{"id", job.id},         {"model", job.model}, {"recipe", job.recipe}, {"key", job.key},
                        {"log", log},           {"output", nullptr},  {"message", ""}};
  res["seconds"] = std::chrono::duration<double>(Clock::now() - r.start).count();
  const std::string message = lastError(log);
  std::string status;
  int code = -1;
  if (r.timed_out) {
    status = "timeout";
  } else if (WIFSIGNALED(wait_status)) {
    status = "crashed";
    res["signal"] = WTERMSIG(wait_status);
  } else {
    code = WEXITSTATUS(wait_status);
    if (code == 0) status = "ok";
    else if (code == 4) status = "budget-missed";
    else if (code == 1 && message.find("out of memory") != std::string::npos) status = "out-of-memory";
    else if (code == 1 || code == 127) status = "error";  // dnnc's own fault (127: could not start)
    else status = "failed";
  }
  res["status"] = status;
  res["exit_code"] = code < 0 ? nlohmann::json(nullptr) : nlohmann::json(code);
  res["message"] = r.timed_out ? "stopped after " + std::to_string(job.timeout_seconds) + " s" : message;
  if (r.step != Step::Recipe && code != 0) res["failed_step"] = r.step == Step::Energy ? "energy" : "eval";
  if (r.step == Step::Recipe ? (code == 0 || code == 4) : WIFEXITED(r.recipe_status) && WEXITSTATUS(r.recipe_status) == 0) {
    res["output"] = outputModel(job, o);
    const nlohmann::json report = readReport(report_path);
    for (const char* k : {"before", "after"})
      if (report.is_object() && report.contains(k)) res[k] = report[k];
  }
  // The scores the job asked for and got.
  const nlohmann::json before = readReport(reportPath(job, o, ".eval-before")), after = readReport(reportPath(job, o, ".eval-after"));
  if (code == 0 && before.is_object() && after.is_object()) {
    res["accuracy_before"] = before.value("top1", nlohmann::json(nullptr));
    res["accuracy_after"] = after.value("top1", nlohmann::json(nullptr));
  }
  const nlohmann::json energy = readReport(reportPath(job, o, ".energy"));
  if (code == 0 && energy.is_object() && energy.contains("ratios")) {
    res["energy_ratio"] = energy["ratios"].value("energy", nlohmann::json(nullptr));
    res["latency_ratio"] = energy["ratios"].value("latency_cycles", nlohmann::json(nullptr));
  }
  return res;
}

}  // namespace

Expected<std::vector<nlohmann::json>> runBatch(const std::vector<BatchJob>& jobs, const BatchRunOptions& o) {
  for (const char* sub : {"models", "reports", "logs", "results"}) {
    std::error_code ec;
    fs::create_directories(fs::path(o.out_dir) / sub, ec);
    if (ec) return Error(Exit::Output, "cannot create '", (fs::path(o.out_dir) / sub).string(), "': ", ec.message());
  }
  std::vector<nlohmann::json> results(jobs.size());
  std::vector<size_t> pending;
  size_t finished = 0;
  auto resultPath = [&](const BatchJob& j) { return (fs::path(o.out_dir) / "results" / (j.id + ".json")).string(); };
  for (size_t k = 0; k < jobs.size(); ++k) {
    if (!o.force) {
      auto text = readFile(resultPath(jobs[k]));
      if (text) {
        auto done = nlohmann::json::parse(*text, nullptr, false);
        if (!done.is_discarded() && done.value("key", "") == jobs[k].key) {
          done["skipped"] = true;  // finished by an earlier run
          results[k] = done;
          if (o.on_result) o.on_result(done, ++finished, jobs.size());
          continue;
        }
      }
    }
    pending.push_back(k);
  }
  const std::string exe = selfExe();
  std::map<pid_t, Running> running;
  // Starts the job's next step that applies; false when none is left.
  auto startStep = [&](Running r) -> Expected<bool> {
    const BatchJob& job = jobs[r.job];
    for (; r.step != Step::Done; r.step = nextStep(r.step)) {
      const auto argv = stepArgv(job, r.step, o);
      if (argv.empty()) continue;
      const std::string log = (fs::path(o.out_dir) / "logs" / (job.id + ".log")).string();
      const pid_t pid = fork();
      if (pid < 0) return Error(Exit::Internal, "cannot start a job: fork failed");
      if (pid == 0) execJob(exe, argv, log, job.max_memory_bytes, r.step != Step::Recipe);
      running[pid] = r;
      return true;
    }
    return false;
  };
  size_t next = 0;
  while (next < pending.size() || !running.empty()) {
    while (next < pending.size() && int(running.size()) < std::max(1, o.jobs)) {
      DNNC_ASSIGN(const bool started, startStep(Running{.job = pending[next], .step = Step::Recipe, .start = Clock::now()}));
      (void)started;  // the recipe always runs
      ++next;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      Running r = running[pid];
      running.erase(pid);
      const bool ok = !r.timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (r.step == Step::Recipe) r.recipe_status = status;
      if (ok) {
        Running after = r;
        after.step = nextStep(r.step);
        DNNC_ASSIGN(const bool started, startStep(after));
        if (started) continue;
      }
      const BatchJob& job = jobs[r.job];
      nlohmann::json res = resultOf(job, r, status, o);
      DNNC_TRY(writeFileAtomic(resultPath(job), res.dump(1) + "\n"));
      results[r.job] = res;
      if (o.on_result) o.on_result(res, ++finished, jobs.size());
      continue;
    }
    for (auto& [p, r] : running) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - r.start).count();
      const double limit = jobs[r.job].timeout_seconds;
      if (limit > 0 && elapsed > limit && !r.timed_out) kill(p, SIGKILL), r.timed_out = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return results;
}

Expected<std::vector<nlohmann::json>> readResults(const std::vector<std::string>& out_dirs) {
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& dir : out_dirs) {
    const fs::path results = fs::path(dir) / "results";
    std::error_code ec;
    if (!fs::is_directory(results, ec)) return Error(Exit::Input, "'", dir, "' holds no batch results (no results/ folder)");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(results))
      if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      DNNC_ASSIGN(std::string text, readFile(f.string()));
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.contains("id")) return Error(Exit::Input, "'", f.string(), "' is not a batch result");
      by_id[j["id"].get<std::string>()] = j;
    }
  }
  std::vector<nlohmann::json> out;
  for (auto& [id, j] : by_id) out.push_back(std::move(j));
  return out;
}

}  // namespace dnnc::cli
