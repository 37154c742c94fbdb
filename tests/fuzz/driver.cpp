// A fuzz driver for the ordinary build (gcc, no libFuzzer), linked with one
// target's LLVMFuzzerTestOneInput in place of libFuzzer's main:
//
//   fuzz_NAME [--corpus DIR]... [--dict FILE] [--runs N] [--seconds S] [--seed N]
//             [--max-len N] [--artifacts DIR] [FILE]...
//
// First every file of each corpus directory and every FILE is run once: the
// seeds and the kept crashing inputs, as regression cases. Then mutated inputs
// (bit flips, byte changes, inserts, erases, copies, splices of two corpus
// files, tokens of a libFuzzer-format dictionary) until N inputs or S seconds,
// whichever comes first. Input i depends only on the seed (printed; from the
// clock unless --seed) and i, so `--seed X --runs N` replays a run exactly.
// Without coverage feedback it finds less than libFuzzer (HISTFS_FUZZ=ON), but
// it runs in every test run. On a crash (a signal, abort, an exception that
// escapes) the input is first written to ARTIFACTS/crash-SEED-RUN.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

using Bytes = std::vector<uint8_t>;

// What the crash handlers write: prepared before each input, as they may only make async-signal-safe calls.
const Bytes* g_input = nullptr;
char g_artifact[4096] = "";
volatile sig_atomic_t g_crashing = 0;

void write_artifact() {
  if (g_crashing || !g_input || !g_artifact[0]) return;
  g_crashing = 1;
  const int fd = open(g_artifact, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    for (size_t done = 0; done < g_input->size();) {
      const ssize_t n = write(fd, g_input->data() + done, g_input->size() - done);
      if (n <= 0) break;
      done += size_t(n);
    }
    close(fd);
  }
  const char* note = "\n==fuzz== crashing input written to ";
  [[maybe_unused]] auto a = write(2, note, strlen(note));
  [[maybe_unused]] auto b = write(2, g_artifact, strlen(g_artifact));
  [[maybe_unused]] auto c = write(2, "\n", 1);
}

void on_signal(int signal) {
  write_artifact();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void on_terminate() {
  write_artifact();
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// libFuzzer's dictionary format: one "token" per line (optionally name="token"), escapes \\ \" \xHH.
std::vector<Bytes> read_dictionary(const std::string& path) {
  std::vector<Bytes> tokens;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto open = line.find('"');
    const auto close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    Bytes token;
    for (size_t i = open + 1; i < close; ++i) {
      if (line[i] == '\\' && i + 1 < close && line[i + 1] == 'x' && i + 3 < close) {
        token.push_back(uint8_t(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else if (line[i] == '\\' && i + 1 < close) {
        token.push_back(uint8_t(line[++i]));
      } else {
        token.push_back(uint8_t(line[i]));
      }
    }
    tokens.push_back(token);
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<Bytes>& corpus, const std::vector<Bytes>& dictionary, size_t max_len)
      : random_(seed), corpus_(corpus), dictionary_(dictionary), max_len_(max_len) {}

  Bytes next() {
    Bytes input = corpus_.empty() ? Bytes() : corpus_[below(corpus_.size())];
    for (size_t n = 1 + below(8); n > 0; --n) mutate(input);
    if (input.size() > max_len_) input.resize(max_len_);
    return input;
  }

 private:
  size_t below(size_t n) { return n == 0 ? 0 : size_t(random_() % n); }

  void mutate(Bytes& in) {
    static const uint8_t kInteresting[] = {0x00, 0xff, 0x7f, 0x80, 0xc3, 0xe2, 0xf0, '"', '\\', '{', '}', '[',
                                           ']',  ',',  ':',  '0',  '9',  '\r', '\n', ' ', '%',  '+', '&', '='};
    const size_t at = below(in.size() + 1);
    switch (below(8)) {
      case 0:
        if (!in.empty()) in[below(in.size())] ^= uint8_t(1u << below(8));
        break;
      case 1:
        if (!in.empty()) in[below(in.size())] = uint8_t(random_());
        break;
      case 2:
        if (!in.empty()) in[below(in.size())] = kInteresting[below(sizeof kInteresting)];
        break;
      case 3: {
        Bytes bytes(1 + below(8));
        for (auto& b : bytes) b = below(2) ? uint8_t(random_()) : kInteresting[below(sizeof kInteresting)];
        in.insert(in.begin() + long(at), bytes.begin(), bytes.end());
        break;
      }
      case 4:
        if (!in.empty()) {
          const size_t from = below(in.size());
          in.erase(in.begin() + long(from), in.begin() + long(std::min(in.size(), from + 1 + below(16))));
        }
        break;
      case 5:
        if (!in.empty()) {
          const size_t from = below(in.size());
          const Bytes part(in.begin() + long(from), in.begin() + long(std::min(in.size(), from + 1 + below(64))));
          in.insert(in.begin() + long(below(in.size() + 1)), part.begin(), part.end());
        }
        break;
      case 6:
        if (!corpus_.empty()) {  // splice: our head, another input's tail
          const Bytes& other = corpus_[below(corpus_.size())];
          const size_t from = below(other.size() + 1);
          in.resize(at);
          in.insert(in.end(), other.begin() + long(from), other.end());
        }
        break;
      default:
        if (!dictionary_.empty()) {
          const Bytes& token = dictionary_[below(dictionary_.size())];
          if (below(2) && at + token.size() <= in.size())
            std::copy(token.begin(), token.end(), in.begin() + long(at));
          else
            in.insert(in.begin() + long(at), token.begin(), token.end());
        }
    }
  }

  std::mt19937_64 random_;
  const std::vector<Bytes>& corpus_;
  const std::vector<Bytes>& dictionary_;
  size_t max_len_;
};

void run_one(const Bytes& input, const std::string& artifact) {
  g_input = &input;
  snprintf(g_artifact, sizeof g_artifact, "%s", artifact.c_str());
  LLVMFuzzerTestOneInput(input.data(), input.size());
  g_input = nullptr;
}

int usage(const char* self) {
  std::cerr << "usage: " << self
            << " [--corpus DIR]... [--dict FILE] [--runs N] [--seconds S] [--seed N] [--max-len N]"
               " [--artifacts DIR] [FILE]...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> corpus_dirs, files;
  std::string dictionary_path, artifacts = ".";
  uint64_t runs = 100000, seed = uint64_t(std::chrono::system_clock::now().time_since_epoch().count());
  double seconds = 10;
  size_t max_len = 64 * 1024;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--corpus" && has_value)
      corpus_dirs.push_back(argv[++i]);
    else if (arg == "--dict" && has_value)
      dictionary_path = argv[++i];
    else if (arg == "--runs" && has_value)
      runs = std::stoull(argv[++i]);
    else if (arg == "--seconds" && has_value)
      seconds = std::stod(argv[++i]);
    else if (arg == "--seed" && has_value)
      seed = std::stoull(argv[++i]);
    else if (arg == "--max-len" && has_value)
      max_len = std::stoul(argv[++i]);
    else if (arg == "--artifacts" && has_value)
      artifacts = argv[++i];
    else if (arg.starts_with("--"))
      return usage(argv[0]);
    else
      files.push_back(arg);
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::filesystem::create_directories(artifacts);
  for (int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(s, on_signal);
  std::set_terminate(on_terminate);

  // Sorted, so that the replay order (and the mutation loop's picks) do not depend on the directory's order.
  std::vector<std::filesystem::path> paths(files.begin(), files.end());
  for (const auto& dir : corpus_dirs)
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      if (entry.is_regular_file()) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<Bytes> corpus;
  for (const auto& path : paths) {
    corpus.push_back(read_file(path));
    run_one(corpus.back(), artifacts + "/crash-replay-" + path.filename().string());
  }
  std::cout << "fuzz: replayed " << corpus.size() << " corpus inputs" << std::endl;

  const std::vector<Bytes> dictionary =
      dictionary_path.empty() ? std::vector<Bytes>() : read_dictionary(dictionary_path);
  Mutator mutator(seed, corpus, dictionary, max_len);
  const std::string prefix = artifacts + "/crash-" + std::to_string(seed) + "-";
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  std::cout << "fuzz: seed " << seed << ", up to " << runs << " inputs or " << seconds << " s" << std::endl;
  uint64_t done = 0;
  for (; done < runs && (done % 256 != 0 || elapsed() < seconds); ++done)
    run_one(mutator.next(), prefix + std::to_string(done));
  std::cout << "fuzz: " << done << " inputs in " << elapsed() << " s, no crash (replay: --seed " << seed << " --runs "
            << done << ")" << std::endl;
  return 0;
}
