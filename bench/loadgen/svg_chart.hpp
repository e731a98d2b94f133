#pragma once
// A small inline-SVG line chart: categorical x (the concurrency levels), linear y from zero.

#include <string>
#include <vector>

namespace mamba::bench {

struct ChartSeries {
  std::string name;
  std::string color;  // CSS colour
  bool dashed = false;
  std::vector<double> values;  // one per x label
};

std::string svg_line_chart(const std::string& title, const std::string& y_label,
                           const std::vector<std::string>& x_labels,
                           const std::vector<ChartSeries>& series);

// Escapes &, <, >, " and ' for HTML and SVG text and attributes.
std::string escape_html(const std::string& text);

}  // namespace mamba::bench
