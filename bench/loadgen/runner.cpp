#include "bench/loadgen/runner.hpp"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "bench/loadgen/arrivals.hpp"

namespace mamba::bench {

LevelRun run_level(const ServerUrl& url, const RequestSettings& settings,
                   const std::vector<Prompt>& prompts, const LevelPlan& plan,
                   Clock::time_point deadline, const std::atomic<bool>& abort,
                   LevelCounters& counters) {
  const size_t n = prompts.size();
  const std::vector<double> arrivals = arrival_times(n, plan.request_rate, plan.seed);
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(plan.concurrency, 1)), n);
  counters.total = static_cast<int>(n);

  std::vector<std::unique_ptr<RequestClient>> clients;
  for (size_t w = 0; w < workers; ++w) {
    clients.push_back(std::make_unique<RequestClient>(url, settings));
  }

  std::vector<std::optional<RequestResult>> results(n);
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable wake;  // stop raised, or a worker finished
  size_t workers_left = workers;

  const Clock::time_point start = Clock::now();
  Clock::time_point last_finish = start;
  auto worker = [&](RequestClient& client) {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= n) break;
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(arrivals[i]));
      {
        std::unique_lock lock(mutex);
        wake.wait_until(lock, due, [&] { return stop.load(); });
      }
      if (stop.load()) break;
      ++counters.in_flight;
      RequestResult result = client.send(prompts[i], start, stop, &counters.output_chunks);
      --counters.in_flight;
      if (!result.cut_off) (result.success ? counters.succeeded : counters.failed) += 1;
      results[i] = std::move(result);
    }
    std::lock_guard lock(mutex);
    last_finish = std::max(last_finish, Clock::now());
    --workers_left;
    wake.notify_all();
  };

  std::vector<std::thread> threads;
  for (auto& client : clients) threads.emplace_back(worker, std::ref(*client));

  // Watch for the deadline and for an abort; either stops new sends and breaks off those in flight.
  {
    std::unique_lock lock(mutex);
    while (workers_left > 0) {
      if (abort.load() || Clock::now() >= deadline) {
        stop = true;
        wake.notify_all();
        lock.unlock();
        for (auto& client : clients) client->interrupt();
        lock.lock();
        // Interrupt again while workers drain: a request may have been starting just now.
        wake.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
      wake.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)));
    }
  }
  for (auto& thread : threads) thread.join();

  LevelRun run;
  run.duration_s = std::chrono::duration<double>(last_finish - start).count();
  for (auto& result : results) {
    if (result) {
      run.results.push_back(std::move(*result));
    } else {
      ++run.not_sent;
    }
  }
  return run;
}

}  // namespace mamba::bench
