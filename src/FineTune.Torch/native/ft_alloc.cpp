// The CPU allocator libtorch uses in this process for blocks of 256 KiB and more: a caching pool over huge-page
// mappings. Smaller blocks stay with c10's default (glibc malloc).
//
// Why. On the VMs this project is measured on, the first touch of a 4 KiB page costs about 12 µs: a fresh 16 MiB
// block takes 48 ms to fill, where filling it again takes 0.9 ms. glibc returns large blocks to the kernel (fresh
// mappings above its mmap threshold, whole thread-arena heaps when they empty), so a training step's logits or an
// attention matrix came back as fresh pages now and then: the occasional 40–50 ms "stalls" in the benchmarks. With
// MADV_HUGEPAGE the same 16 MiB block takes 0.65 ms to fault in and 0.16 ms to fill again, since one TLB entry covers
// 2 MiB. So the pool maps 2 MiB-aligned chunks of at least 64 MiB, asks for transparent huge pages, carves blocks out
// of them best-fit, merges freed neighbours, and keeps the chunks: a step reuses the memory the last step freed.
//
// What it holds. Chunks stay mapped while any block in them lives. A wholly free chunk is unmapped when the free
// bytes pass FINETUNE_CPU_POOL_KEEP_MB (default 1,024), or by ft_cpu_pool_release(). FINETUNE_CPU_POOL=0 leaves
// libtorch's own allocator in place (read once, when the library loads).
#include "ft_common.h"
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <sys/mman.h>

namespace {

constexpr size_t kMinBlock = 256 << 10;   // smaller blocks go to c10's default allocator
constexpr size_t kGranule = 4 << 10;      // block sizes are rounded up to whole 4 KiB pages
constexpr size_t kHuge = 2 << 20;         // transparent huge page size on x86-64 and arm64 (4 KiB base pages)
constexpr size_t kMinChunk = 64 << 20;

struct Stats {
  int64_t mapped = 0, in_use = 0, free = 0, chunks = 0, hits = 0, maps = 0, unmaps = 0;
};

class Pool final : public c10::Allocator {
 public:
  explicit Pool(size_t keep) : keep_(keep) {}

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return allocate_impl(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(size_t n) const override { return const_cast<Pool*>(this)->allocate_impl(n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &Pool::raw_free; }

  Stats stats() {
    std::lock_guard<std::mutex> g(mu_);
    return stats_;
  }

  // Unmaps every wholly free chunk; returns the bytes unmapped.
  int64_t release() {
    std::lock_guard<std::mutex> g(mu_);
    return trim(0);
  }

  static Pool* instance;

 private:
  struct Chunk {
    char* base;
    size_t size;
  };

  c10::DataPtr allocate_impl(size_t n) {
    if (n < kMinBlock) {
      void* p = c10::alloc_cpu(n);
      return {p, p, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    void* p = take((n + kGranule - 1) / kGranule * kGranule);
    return {p, p, &Pool::raw_free, c10::Device(c10::DeviceType::CPU)};
  }

  static void raw_free(void* p) {
    if (p == nullptr) return;
    if (!instance->give_back(static_cast<char*>(p))) c10::free_cpu(p);   // a small block (raw_allocate)
  }

  void* take(size_t n) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = by_size_.lower_bound(n);
    if (it == by_size_.end()) {
      map_chunk(n);
      it = by_size_.lower_bound(n);
    } else {
      stats_.hits++;
    }
    char* p = it->second;
    size_t size = it->first;
    by_size_.erase(it);
    free_.erase(p);
    if (size > n) insert_free(p + n, size - n);
    used_[p] = n;
    stats_.in_use += n;
    stats_.free -= n;
    return p;
  }

  // False when p is not one of the pool's blocks.
  bool give_back(char* p) {
    std::lock_guard<std::mutex> g(mu_);
    auto u = used_.find(p);
    if (u == used_.end()) return false;
    size_t n = u->second;
    used_.erase(u);
    stats_.in_use -= n;
    stats_.free += n;
    // Merge with the free neighbours inside the same chunk.
    auto next = free_.find(p + n);
    if (next != free_.end() && same_chunk(p, next->first)) {
      n += next->second;
      erase_free(next);
    }
    auto prev = free_.lower_bound(p);
    if (prev != free_.begin()) {
      --prev;
      if (prev->first + prev->second == p && same_chunk(prev->first, p)) {
        p = prev->first;
        n += prev->second;
        erase_free(prev);
      }
    }
    insert_free(p, n);
    if (static_cast<size_t>(stats_.free) > keep_) trim(keep_);
    return true;
  }

  bool same_chunk(char* a, char* b) const {
    auto c = chunks_.upper_bound(a);
    --c;
    return b >= c->first && b < c->first + c->second.size;
  }

  void insert_free(char* p, size_t n) {
    free_[p] = n;
    by_size_.emplace(n, p);
  }

  void erase_free(std::map<char*, size_t>::iterator it) {
    auto range = by_size_.equal_range(it->second);
    for (auto s = range.first; s != range.second; ++s)
      if (s->second == it->first) {
        by_size_.erase(s);
        break;
      }
    free_.erase(it);
  }

  void map_chunk(size_t n) {
    size_t size = std::max(kMinChunk, (n + kHuge - 1) / kHuge * kHuge);
    // Over-map by one huge page so the chunk can start on a 2 MiB boundary, then unmap the slack.
    size_t span = size + kHuge;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED && trim(0) > 0)   // give back what is free, then try once more
      raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)}, "CPU pool: out of memory mapping " + std::to_string(span) + " bytes");
    char* start = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) / kHuge * kHuge);
    size_t head = start - static_cast<char*>(raw);
    if (head > 0) munmap(raw, head);
    if (kHuge - head > 0) munmap(start + size, kHuge - head);
#ifdef MADV_HUGEPAGE
    madvise(start, size, MADV_HUGEPAGE);   // advice only: without THP the pool still saves the refaults
#endif
    chunks_[start] = Chunk{start, size};
    insert_free(start, size);
    stats_.mapped += size;
    stats_.free += size;
    stats_.chunks++;
    stats_.maps++;
  }

  // Unmaps wholly free chunks, largest first, until the free bytes are at most `keep`; returns the bytes unmapped.
  int64_t trim(size_t keep) {
    int64_t released = 0;
    for (auto c = chunks_.begin(); c != chunks_.end() && static_cast<size_t>(stats_.free) > keep;) {
      auto f = free_.find(c->first);
      if (f == free_.end() || f->second != c->second.size) {
        ++c;
        continue;
      }
      size_t size = c->second.size;
      erase_free(f);
      munmap(c->first, size);
      stats_.mapped -= size;
      stats_.free -= size;
      stats_.chunks--;
      stats_.unmaps++;
      released += size;
      c = chunks_.erase(c);
    }
    return released;
  }

  const size_t keep_;
  std::mutex mu_;
  std::map<char*, Chunk> chunks_;        // by start address
  std::map<char*, size_t> free_;               // free extents by address, for merging
  std::multimap<size_t, char*> by_size_;       // the same extents by size, for best fit
  std::unordered_map<char*, size_t> used_;     // live blocks and their sizes
  Stats stats_;
};

Pool* Pool::instance = nullptr;

size_t env_size_mb(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == 0) return fallback;
  char* end = nullptr;
  long long mb = std::strtoll(v, &end, 10);
  return end != v && mb >= 0 ? static_cast<size_t>(mb) << 20 : fallback;
}

// Installed when the library loads, before any tensor of ours exists. The pool is never destroyed: tensors freed
// during process exit still find it.
struct Install {
  Install() {
    const char* off = std::getenv("FINETUNE_CPU_POOL");
    if (off != nullptr && std::string(off) == "0") return;
    Pool::instance = new Pool(env_size_mb("FINETUNE_CPU_POOL_KEEP_MB", size_t(1024) << 20));
    c10::SetCPUAllocator(Pool::instance, /*priority=*/1);
  }
} install;

}  // namespace

// out[7]: bytes mapped, bytes in live blocks, bytes free in the pool, chunks, allocations served from free memory,
// chunks mapped, chunks unmapped. Returns 0, or -1 when the pool is not libtorch's CPU allocator.
FT_API int ft_cpu_pool_stats(int64_t* out) {
  if (Pool::instance == nullptr || c10::GetCPUAllocator() != Pool::instance) return -1;
  Stats s = Pool::instance->stats();
  int64_t v[] = {s.mapped, s.in_use, s.free, s.chunks, s.hits, s.maps, s.unmaps};
  for (int i = 0; i < 7; i++) out[i] = v[i];
  return 0;
}

// Unmaps the pool's wholly free chunks; returns the bytes unmapped (0 when the pool is off).
FT_API int64_t ft_cpu_pool_release() { return Pool::instance != nullptr ? Pool::instance->release() : 0; }
