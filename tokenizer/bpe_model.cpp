#include "tokenizer/bpe_model.hpp"

#include <functional>
#include <limits>
#include <queue>

namespace mamba::tok {

BpeModel::BpeModel(const std::vector<std::optional<std::string>>& vocab_bytes,
                   const std::vector<Merge>& merges, std::optional<std::int32_t> unk_id,
                   bool fuse_unk, bool ignore_merges)
    : unk_id_(unk_id), fuse_unk_(fuse_unk), ignore_merges_(ignore_merges) {
  for (auto& id : byte_id_) id = -1;
  for (std::size_t id = 0; id < vocab_bytes.size(); ++id) {
    const auto& bytes = vocab_bytes[id];
    if (!bytes) continue;
    if (bytes->size() == 1) byte_id_[static_cast<unsigned char>((*bytes)[0])] = id;
    bytes_to_id_.emplace(*bytes, static_cast<std::int32_t>(id));
  }
  merges_.reserve(merges.size() * 2);
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const Merge& m = merges[rank];
    const auto& a = vocab_bytes[m.left];
    const auto& b = vocab_bytes[m.right];
    if (!a || !b) continue;  // cannot occur inside a byte-level word
    const auto merged = bytes_to_id_.find(*a + *b);
    if (merged == bytes_to_id_.end()) continue;
    // A repeated pair keeps its last rank, as HF's map insertion does.
    merges_[pair_key(m.left, m.right)] = {static_cast<std::uint32_t>(rank), merged->second};
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() == 1) {
    const std::int32_t id = byte_id_[static_cast<unsigned char>(word[0])];
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    const auto it = cache_.find(std::string(word));
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const std::size_t first = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::vector<std::int32_t> ids(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(std::string(word), std::move(ids));
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (ignore_merges_) {
    const auto it = bytes_to_id_.find(std::string(word));
    if (it != bytes_to_id_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Start from one symbol per byte; bytes with no token become unk (fused when asked) or vanish.
  std::vector<std::int32_t> symbols;
  symbols.reserve(word.size());
  bool last_was_unk = false;
  for (const char c : word) {
    const std::int32_t id = byte_id_[static_cast<unsigned char>(c)];
    if (id >= 0) {
      symbols.push_back(id);
      last_was_unk = false;
    } else if (unk_id_) {
      if (!(fuse_unk_ && last_was_unk)) symbols.push_back(*unk_id_);
      last_was_unk = true;
    }
  }
  if (symbols.size() <= kMaxScanSymbols) {
    merge_by_scan(symbols);
  } else {
    merge_by_heap(symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

// Repeatedly merges the lowest-ranked adjacent pair, leftmost first.
void BpeModel::merge_by_scan(std::vector<std::int32_t>& symbols) const {
  constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  while (symbols.size() > 1) {
    std::uint32_t best_rank = kNone;
    std::size_t best_pos = 0;
    std::int32_t best_id = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = merges_.find(pair_key(symbols[i], symbols[i + 1]));
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        best_pos = i;
        best_id = it->second.id;
      }
    }
    if (best_rank == kNone) break;
    symbols[best_pos] = best_id;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best_pos) + 1);
  }
}

// The same merge order as merge_by_scan, with a min-heap of candidate pairs keyed by (rank,
// position) over a linked list of symbols; entries made stale by earlier merges are skipped.
void BpeModel::merge_by_heap(std::vector<std::int32_t>& symbols) const {
  const std::size_t n = symbols.size();
  std::vector<std::int32_t> next(n), prev(n);
  std::vector<bool> alive(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? static_cast<std::int32_t>(i + 1) : -1;
    prev[i] = static_cast<std::int32_t>(i) - 1;
  }
  struct Candidate {
    std::uint32_t rank;
    std::int32_t pos;
    std::int32_t id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  const auto push = [&](std::int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    const auto it = merges_.find(pair_key(symbols[pos], symbols[next[pos]]));
    if (it != merges_.end()) heap.push({it->second.rank, pos, it->second.id});
  };
  for (std::size_t i = 0; i + 1 < n; ++i) push(static_cast<std::int32_t>(i));
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (!alive[c.pos] || next[c.pos] < 0) continue;
    const std::int32_t right = next[c.pos];
    const auto it = merges_.find(pair_key(symbols[c.pos], symbols[right]));
    if (it == merges_.end() || it->second.id != c.id || it->second.rank != c.rank) continue;
    symbols[c.pos] = c.id;
    alive[right] = false;
    next[c.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  std::size_t kept = 0;
  for (std::int32_t i = 0; i >= 0; i = next[i]) symbols[kept++] = symbols[i];
  symbols.resize(kept);
}

}  // namespace mamba::tok
