#include "engine/state_cache.hpp"

#include <algorithm>
#include <cstring>

namespace mamba {

uint64_t StateCache::default_hash(uint64_t previous, int32_t token) {
  // splitmix64 finaliser over the previous hash and the token: cheap and well mixed.
  uint64_t z = previous + 0x9E3779B97F4A7C15ull + static_cast<uint32_t>(token);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

StateCache::StateCache(size_t state_floats, size_t logits_floats, size_t budget_bytes,
                       PrefixHash hash)
    : state_floats_(state_floats),
      logits_floats_(logits_floats),
      budget_(budget_bytes),
      hash_(hash ? hash : &default_hash) {}

size_t StateCache::entry_bytes(size_t tokens, bool with_logits) const {
  return (state_floats_ + (with_logits ? logits_floats_ : 0)) * sizeof(float) +
         tokens * sizeof(int32_t);
}

uint64_t StateCache::hash_of(std::span<const int32_t> tokens) const {
  uint64_t h = 0;
  for (int32_t t : tokens) h = hash_(h, t);
  return h;
}

StateCache::Iter StateCache::find(std::span<const int32_t> tokens, uint64_t hash) {
  auto [lo, hi] = index_.equal_range(hash);
  for (auto it = lo; it != hi; ++it) {
    const Entry& e = *it->second;
    if (e.tokens.size() == tokens.size() &&
        std::equal(tokens.begin(), tokens.end(), e.tokens.begin()))
      return it->second;
  }
  return lru_.end();
}

bool StateCache::contains(std::span<const int32_t> tokens) const {
  return const_cast<StateCache*>(this)->find(tokens, hash_of(tokens)) != lru_.end();
}

StateCache::Hit StateCache::restore(std::span<const int32_t> tokens, float* state) {
  Hit hit;
  if (lru_.empty() || tokens.empty()) return hit;
  prefix_hashes_.resize(tokens.size() + 1);
  prefix_hashes_[0] = 0;
  for (size_t i = 0; i < tokens.size(); ++i)
    prefix_hashes_[i + 1] = hash_(prefix_hashes_[i], tokens[i]);
  // Longest first, probing only the lengths some entry has.
  for (auto len_it = lengths_.upper_bound(tokens.size()); len_it != lengths_.begin();) {
    --len_it;
    const size_t len = len_it->first;
    const Iter it = find(tokens.first(len), prefix_hashes_[len]);
    if (it == lru_.end()) continue;
    if (len == tokens.size() && it->logits.empty()) continue;
    std::memcpy(state, it->state.data(), state_floats_ * sizeof(float));
    lru_.splice(lru_.begin(), lru_, it);  // most recently used
    hit.length = len;
    if (len == tokens.size()) hit.logits = it->logits.data();
    return hit;
  }
  return hit;
}

StateCache::Overlap StateCache::longest_overlap(std::span<const int32_t> tokens) const {
  Overlap best;
  for (const Entry& e : lru_) {
    if (!e.prompt) continue;
    const size_t n = std::min(e.tokens.size(), tokens.size());
    const size_t common = static_cast<size_t>(
        std::mismatch(tokens.begin(), tokens.begin() + n, e.tokens.begin()).first - tokens.begin());
    if (common > best.length) best = {common, e.tokens.size()};
  }
  return best;
}

void StateCache::erase(Iter it) {
  auto [lo, hi] = index_.equal_range(it->hash);
  for (auto i = lo; i != hi; ++i) {
    if (i->second == it) {
      index_.erase(i);
      break;
    }
  }
  auto len = lengths_.find(it->tokens.size());
  if (--len->second == 0) lengths_.erase(len);
  bytes_ -= it->bytes;
  lru_.erase(it);
}

void StateCache::evict_for(size_t bytes) {
  while (!lru_.empty() && bytes_ + bytes > budget_) {
    erase(std::prev(lru_.end()));
    ++evictions_;
  }
}

bool StateCache::insert(std::span<const int32_t> tokens, const float* state, const float* logits,
                        bool prompt) {
  if (tokens.empty()) return false;
  const uint64_t hash = hash_of(tokens);
  const Iter existing = find(tokens, hash);
  if (existing != lru_.end()) {
    if (!logits || !existing->logits.empty()) {
      existing->prompt = existing->prompt || prompt;
      lru_.splice(lru_.begin(), lru_, existing);
      return true;
    }
    prompt = prompt || existing->prompt;
    erase(existing);  // replaced below by the same state with its logits
  }
  const size_t bytes = entry_bytes(tokens.size(), logits != nullptr);
  if (bytes > budget_) return false;
  evict_for(bytes);
  Entry e;
  e.tokens.assign(tokens.begin(), tokens.end());
  e.hash = hash;
  e.state.assign(state, state + state_floats_);
  if (logits) e.logits.assign(logits, logits + logits_floats_);
  e.bytes = bytes;
  e.prompt = prompt;
  lru_.push_front(std::move(e));
  index_.emplace(hash, lru_.begin());
  lengths_[tokens.size()]++;
  bytes_ += bytes;
  return true;
}

}  // namespace mamba
