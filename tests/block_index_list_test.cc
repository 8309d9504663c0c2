#include "block_index_list.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace curvature::internal {
namespace {

std::vector<int> contents(const BlockIndexList& list) { return {list.begin(), list.end()}; }

BlockIndexList list_of(int count) {
  BlockIndexList list;
  for (int i = 0; i < count; ++i) list.push_back(10 * i);
  return list;
}

std::vector<int> expected(int count) {
  std::vector<int> values(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) values[static_cast<size_t>(i)] = 10 * i;
  return values;
}

TEST(BlockIndexListTest, KeepsIndicesInOrderInlineAndOnTheHeap) {
  for (int count : {0, 1, 2, BlockIndexList::kInline, BlockIndexList::kInline + 1, 100}) {
    const BlockIndexList list = list_of(count);
    EXPECT_EQ(list.size(), static_cast<size_t>(count));
    EXPECT_EQ(list.empty(), count == 0);
    EXPECT_EQ(contents(list), expected(count)) << count << " indices";
  }
}

TEST(BlockIndexListTest, CopiesAndMovesLeaveIndependentLists) {
  for (int count : {2, 9}) {
    BlockIndexList original = list_of(count);
    BlockIndexList copy = original;
    copy[0] = -1;
    EXPECT_EQ(contents(original), expected(count));
    BlockIndexList moved = std::move(original);
    EXPECT_EQ(contents(moved), expected(count));
    BlockIndexList assigned = list_of(20);
    assigned = moved;
    EXPECT_EQ(contents(assigned), expected(count));
    assigned = list_of(3);
    EXPECT_EQ(contents(assigned), expected(3));
    std::vector<BlockIndexList> lists;
    for (int i = 0; i < 50; ++i) lists.push_back(list_of(i % 7));  // reallocations move them
    for (int i = 0; i < 50; ++i) EXPECT_EQ(contents(lists[static_cast<size_t>(i)]), expected(i % 7));
  }
}

TEST(BlockIndexListTest, EditsThroughReferences) {
  BlockIndexList list = list_of(6);
  for (int& index : list) index += 1;
  EXPECT_EQ(list[5], 51);
}

}  // namespace
}  // namespace curvature::internal
