#include "bench/loadgen/statistics.hpp"

#include <gtest/gtest.h>

namespace mamba::bench {
namespace {

// Expected values computed with numpy 1.26: np.percentile(x, q), np.std(x), np.median(x).
TEST(Statistics, PercentileInterpolatesLinearlyLikeNumpy) {
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 99), 3.97);
  EXPECT_DOUBLE_EQ(percentile({15, 20, 35, 40, 50}, 40), 29.0);
  EXPECT_DOUBLE_EQ(percentile({50, 15, 40, 20, 35}, 40), 29.0);  // order does not matter
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 100), 4.0);
  EXPECT_DOUBLE_EQ(percentile({10, 20}, 25), 12.5);
  EXPECT_DOUBLE_EQ(percentile({7}, 99), 7.0);
}

TEST(Statistics, MedianOfEvenAndOddCounts) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
}

TEST(Statistics, StdIsThePopulationDeviation) {
  EXPECT_DOUBLE_EQ(stddev({2, 4, 4, 4, 5, 5, 7, 9}), 2.0);
  EXPECT_DOUBLE_EQ(stddev({5}), 0.0);
  EXPECT_DOUBLE_EQ(mean({2, 4, 4, 4, 5, 5, 7, 9}), 5.0);
}

TEST(Statistics, EmptySamplesGiveZero) {
  const Summary s = summarize({});
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.median, 0.0);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.p99, 0.0);
}

TEST(Statistics, SummaryOfOneToHundred) {
  std::vector<double> x;
  for (int i = 1; i <= 100; ++i) x.push_back(i);
  const Summary s = summarize(x);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.median, 50.5);
  EXPECT_NEAR(s.p99, 99.01, 1e-12);
  EXPECT_NEAR(s.p90, 90.1, 1e-12);
  EXPECT_NEAR(s.stddev, 28.86607004772212, 1e-12);
}

}  // namespace
}  // namespace mamba::bench
