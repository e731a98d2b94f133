#pragma once
// Snapshots of recurrent states keyed by the exact token prefix they summarise. A Mamba sequence's
// whole past is one fixed-size state, so a later prompt that starts with a cached prefix can copy
// that state and prefill only the rest. Entries are found by a hash per prefix length and then
// verified token by token, so a hash collision can never serve a wrong state. A byte budget is
// kept by evicting the least recently used entries.
//
// Owned by one thread (the engine's scheduler); not thread-safe.

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

namespace mamba {

class StateCache {
 public:
  // Hash of a prefix from the hash of the prefix one token shorter (the empty prefix hashes to 0).
  // Injectable so that tests can force collisions; correctness never depends on it.
  using PrefixHash = uint64_t (*)(uint64_t previous, int32_t token);
  static uint64_t default_hash(uint64_t previous, int32_t token);

  // `state_floats` per snapshot; `logits_floats` per stored next-token logits row.
  StateCache(size_t state_floats, size_t logits_floats, size_t budget_bytes,
             PrefixHash hash = &default_hash);

  struct Hit {
    size_t length = 0;              // tokens of the prompt the restored state covers; 0: a miss
    const float* logits = nullptr;  // next-token logits when length == tokens.size(); valid until
                                    // the cache next changes
  };
  // Copies into `state` the state of the longest cached prefix of `tokens`. A prefix as long as
  // `tokens` itself is only used when its next-token logits are stored (the caller samples from
  // them instead of running the last token again).
  Hit restore(std::span<const int32_t> tokens, float* state);

  struct Overlap {
    size_t length = 0;        // longest common prefix of `tokens` with a cached prompt's tokens
    size_t entry_length = 0;  // that entry's length
  };
  // Considers the entries inserted as prompt prefixes only (see insert()).
  Overlap longest_overlap(std::span<const int32_t> tokens) const;

  // Stores `state` (and, when given, `logits`) as the state after exactly `tokens`; `prompt` says
  // the tokens are (a prefix of) a prompt rather than a prompt and generated tokens. An entry for
  // the same tokens is refreshed instead (and gains logits if it lacked them). False when the entry
  // cannot fit the budget at all.
  bool insert(std::span<const int32_t> tokens, const float* state, const float* logits = nullptr,
              bool prompt = true);

  bool contains(std::span<const int32_t> tokens) const;
  size_t bytes() const { return bytes_; }
  size_t entries() const { return lru_.size(); }
  size_t budget() const { return budget_; }
  uint64_t evictions() const { return evictions_; }
  // Bytes an entry of `tokens` tokens takes against the budget.
  size_t entry_bytes(size_t tokens, bool with_logits) const;

 private:
  struct Entry {
    std::vector<int32_t> tokens;
    uint64_t hash = 0;
    std::vector<float> state;
    std::vector<float> logits;  // empty when not stored
    size_t bytes = 0;
    bool prompt = true;
  };
  using Iter = std::list<Entry>::iterator;

  uint64_t hash_of(std::span<const int32_t> tokens) const;
  Iter find(std::span<const int32_t> tokens, uint64_t hash);
  void erase(Iter it);
  void evict_for(size_t bytes);

  size_t state_floats_, logits_floats_, budget_;
  PrefixHash hash_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_multimap<uint64_t, Iter> index_;
  std::map<size_t, int> lengths_;  // entry count per prefix length, to probe only lengths present
  std::vector<uint64_t> prefix_hashes_;  // scratch of restore()
  size_t bytes_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace mamba
