// mamba-cli: generate a completion for one prompt on the terminal, streamed as it is produced,
// then report prompt and generation speed.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "engine/engine.hpp"
#include "engine/model/errors.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: mamba-cli --model DIR --prompt TEXT [-n N] [--temperature T] [--top-p P]\n"
               "                 [--top-k K] [--seed S] [--threads T] [--ignore-eos]\n"
               "  -n N             tokens to generate (default 64)\n"
               "  --temperature T  0 for greedy decoding (default 0.8)\n");
}

struct Options {
  std::string model, prompt;
  int n = 64;
  mamba::SamplingParams sampling;
  int threads = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  o.sampling.temperature = 0.8f;
  o.sampling.top_p = 0.95f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--model") o.model = value();
    else if (a == "--prompt") o.prompt = value();
    else if (a == "-n" || a == "--n-predict") o.n = std::stoi(value());
    else if (a == "--temperature") o.sampling.temperature = std::stof(value());
    else if (a == "--top-p") o.sampling.top_p = std::stof(value());
    else if (a == "--top-k") o.sampling.top_k = std::stoi(value());
    else if (a == "--seed") o.sampling.seed = std::stoull(value());
    else if (a == "--threads") o.threads = std::stoi(value());
    else if (a == "--ignore-eos") o.sampling.ignore_eos = true;
    else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.model.empty() || o.prompt.empty()) throw std::invalid_argument("--model and --prompt are required");
  if (o.n < 1) throw std::invalid_argument("-n must be at least 1");
  o.sampling.max_tokens = o.n;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    opt = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mamba-cli: %s\n", e.what());
    usage();
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  try {
    spdlog::set_level(spdlog::level::warn);
    std::shared_ptr<const mamba::Model> model = mamba::Model::load(opt.model);
    std::shared_ptr<const mamba::tok::Tokenizer> tokenizer = mamba::tok::load_tokenizer(opt.model);
    mamba::Engine engine(model, tokenizer,
                         mamba::EngineConfig{.slots = 1,
                                             .max_prompt_tokens = 1 << 20,
                                             .max_total_tokens = 1 << 21,
                                             .prefill_budget = 1 << 20,
                                             .threads = opt.threads});
    const auto ids = tokenizer->encode(opt.prompt);
    const auto t0 = Clock::now();
    auto handle = engine.submit({ids, opt.sampling});
    std::cout << opt.prompt << std::flush;
    Clock::time_point first;
    int generated = 0;
    std::string error;
    mamba::Event ev;
    while (handle->next(ev)) {
      if (ev.kind == mamba::Event::Kind::Token) {
        if (generated++ == 0) first = Clock::now();
        std::cout << ev.text << std::flush;
      } else if (ev.kind == mamba::Event::Kind::Finished && ev.finish == mamba::FinishReason::Error) {
        error = ev.error;
      }
    }
    const auto t1 = Clock::now();
    std::cout << std::endl;
    if (!error.empty()) throw std::runtime_error(error);
    const double prefill_s = std::chrono::duration<double>(first - t0).count();
    const double gen_s = std::chrono::duration<double>(t1 - first).count();
    std::fprintf(stderr, "prompt: %zu tokens, %.1f tokens/s | generated: %d tokens, %.1f tokens/s\n",
                 ids.size(), ids.size() / prefill_s, generated,
                 generated > 1 ? (generated - 1) / gen_s : 0.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mamba-cli: %s\n", e.what());
    return 1;
  }
  return 0;
}
