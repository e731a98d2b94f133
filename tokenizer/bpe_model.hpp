// Byte-level BPE over raw bytes: vocabulary strings are mapped back to the bytes they stand for at
// load time, so encoding never builds the byte->character strings. Results are cached per word.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mamba::tok {

class BpeModel {
 public:
  struct Merge {
    std::int32_t left;
    std::int32_t right;
  };

  // vocab_bytes: for each id, the bytes its vocabulary string stands for (nullopt when the string
  // has characters outside the byte map; such ids can never come out of a byte-level word).
  // merges: in rank order. unk_id: HF's unk_token (nullopt: unknown bytes are dropped).
  BpeModel(const std::vector<std::optional<std::string>>& vocab_bytes,
           const std::vector<Merge>& merges, std::optional<std::int32_t> unk_id, bool fuse_unk,
           bool ignore_merges);

  // Appends the ids of one pre-tokenized word (raw bytes).
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

 private:
  struct MergeResult {
    std::uint32_t rank;
    std::int32_t id;
  };
  static std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
           static_cast<std::uint32_t>(b);
  }
  void merge_word(std::string_view word, std::vector<std::int32_t>& out) const;
  void merge_by_scan(std::vector<std::int32_t>& symbols) const;
  void merge_by_heap(std::vector<std::int32_t>& symbols) const;

  std::int32_t byte_id_[256];
  std::unordered_map<std::uint64_t, MergeResult> merges_;
  std::unordered_map<std::string, std::int32_t> bytes_to_id_;  // used by ignore_merges
  std::optional<std::int32_t> unk_id_;
  bool fuse_unk_;
  bool ignore_merges_;

  // Words repeat a lot in text; the cache is shared by all threads that encode with this model.
  static constexpr std::size_t kCacheCapacity = 1 << 16;
  static constexpr std::size_t kMaxCachedWordBytes = 64;
  // Up to this many symbols a scan per merge is fastest; longer words (a run of punctuation, a
  // base64 blob) use a heap so that cost stays O(n log n) instead of O(n^2).
  static constexpr std::size_t kMaxScanSymbols = 48;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> cache_;
};

}  // namespace mamba::tok
