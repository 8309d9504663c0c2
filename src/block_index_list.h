// block_index_list.h — the parameter block indices a residual block reads,
// stored inline up to kInline of them. Internal.
//
// A std::vector<int> is one heap allocation per residual block: for the
// usual one to four blocks (a BAL observation reads a camera and a point, a
// pose-graph edge two poses) a 32-byte malloc chunk for 8 to 16 bytes of
// indices, 7 MB on a bundle adjustment of 226,000 observations. This list
// keeps up to kInline indices in place and moves to the heap only beyond.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>

namespace curvature::internal {

class BlockIndexList {
 public:
  static constexpr int kInline = 4;

  BlockIndexList() = default;
  BlockIndexList(const BlockIndexList& other) { assign(other.begin(), other.end()); }
  BlockIndexList(BlockIndexList&& other) noexcept { take(other); }
  BlockIndexList& operator=(const BlockIndexList& other) {
    if (this != &other) {
      clear();
      assign(other.begin(), other.end());
    }
    return *this;
  }
  BlockIndexList& operator=(BlockIndexList&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  ~BlockIndexList() { release(); }

  int* begin() { return data(); }
  int* end() { return data() + size_; }
  const int* begin() const { return data(); }
  const int* end() const { return data() + size_; }
  std::size_t size() const { return static_cast<std::size_t>(size_); }
  bool empty() const { return size_ == 0; }
  int& operator[](std::size_t i) { return data()[i]; }
  int operator[](std::size_t i) const { return data()[i]; }

  void push_back(int index) {
    if (size_ == capacity_) grow(2 * capacity_);
    data()[size_++] = index;
  }
  void clear() { size_ = 0; }

 private:
  bool on_heap() const { return capacity_ > kInline; }
  int* data() { return on_heap() ? heap_ : inline_; }
  const int* data() const { return on_heap() ? heap_ : inline_; }

  void assign(const int* first, const int* last) {
    const int count = static_cast<int>(last - first);
    if (count > capacity_) grow(count);
    std::copy(first, last, data());
    size_ = count;
  }
  void grow(int capacity) {
    auto storage = std::make_unique<int[]>(static_cast<std::size_t>(capacity));
    std::copy(begin(), end(), storage.get());
    release();
    heap_ = storage.release();
    capacity_ = capacity;
  }
  // Frees the heap storage, if any; the list is left inline (its size kept
  // for grow(), which copies before it calls this).
  void release() {
    if (on_heap()) delete[] heap_;
    capacity_ = kInline;
  }
  void take(BlockIndexList& other) {
    size_ = other.size_;
    capacity_ = other.capacity_;
    if (other.on_heap()) {
      heap_ = other.heap_;
    } else {
      std::copy(other.inline_, other.inline_ + other.size_, inline_);
    }
    other.size_ = 0;
    other.capacity_ = kInline;
  }

  union {
    int inline_[kInline];
    int* heap_;
  };
  int size_ = 0;
  int capacity_ = kInline;
};

}  // namespace curvature::internal
