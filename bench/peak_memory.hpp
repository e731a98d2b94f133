#pragma once
// Peak resident memory of this process (VmHWM), in bytes.

#include <fstream>
#include <string>

namespace mamba::bench {

inline size_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string key;
  size_t kb = 0;
  while (f >> key) {
    if (key == "VmHWM:") {
      f >> kb;
      return kb * 1024;
    }
    std::getline(f, key);
  }
  return 0;
}

}  // namespace mamba::bench
