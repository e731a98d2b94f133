#include "bench/loadgen/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace mamba::bench {
namespace {

constexpr double kWidth = 520, kHeight = 300;
constexpr double kLeft = 64, kRight = 16, kBottom = 44;
constexpr double kLegendRow = 15;  // height of one row of legend entries

// A round step that splits [0, max] into about five intervals.
double tick_step(double max) {
  const double raw = max / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10.0 * magnitude;
}

std::string number(double v) {
  char buf[32];
  if (v != 0 && std::fabs(v) < 10) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

}  // namespace

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string svg_line_chart(const std::string& title, const std::string& y_label,
                           const std::vector<std::string>& x_labels,
                           const std::vector<ChartSeries>& series) {
  double max = 0;
  for (const auto& s : series) {
    for (double v : s.values) {
      if (std::isfinite(v)) max = std::max(max, v);
    }
  }
  if (max <= 0) max = 1;
  const double step = tick_step(max);
  const double top = std::ceil(max / step) * step;
  // Legend entries flow left to right and wrap; the plot starts below them.
  struct LegendSpot {
    double x, y;
  };
  std::vector<LegendSpot> legend;
  double legend_x = kLeft, legend_y = 30;
  for (const auto& s : series) {
    const double w = 30 + 6.2 * static_cast<double>(s.name.size());
    if (legend_x > kLeft && legend_x + w > kWidth - kRight) {
      legend_x = kLeft;
      legend_y += kLegendRow;
    }
    legend.push_back({legend_x, legend_y});
    legend_x += w;
  }
  const double plot_top = legend_y + 14;  // the y of the top gridline
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - plot_top - kBottom;
  const size_t n = x_labels.size();
  // Points stay clear of the axis and the right edge.
  const double inset = 24;
  auto x_at = [&](size_t i) {
    return kLeft + inset +
           (n <= 1 ? (plot_w - 2 * inset) / 2
                   : (plot_w - 2 * inset) * static_cast<double>(i) / static_cast<double>(n - 1));
  };
  auto y_at = [&](double v) { return plot_top + plot_h * (1.0 - v / top); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  svg << "<text x=\"" << kWidth / 2 << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" "
      << "font-weight=\"bold\">" << escape_html(title) << "</text>\n";
  // Grid and y ticks.
  for (double v = 0; v <= top + step / 2; v += step) {
    const double y = y_at(v);
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << y << "\" y2=\""
        << y << "\" stroke=\"#ddd\"/>\n";
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << number(v)
        << "</text>\n";
  }
  svg << "<text transform=\"translate(14," << plot_top + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << escape_html(y_label) << "</text>\n";
  for (size_t i = 0; i < n; ++i) {
    svg << "<text x=\"" << x_at(i) << "\" y=\"" << plot_top + plot_h + 16
        << "\" text-anchor=\"middle\">" << escape_html(x_labels[i]) << "</text>\n";
  }
  svg << "<text x=\"" << kLeft + plot_w / 2 << "\" y=\"" << kHeight - 8
      << "\" text-anchor=\"middle\">concurrency</text>\n";
  svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft << "\" y1=\"" << plot_top << "\" y2=\""
      << plot_top + plot_h << "\" stroke=\"#888\"/>\n";
  for (size_t k = 0; k < series.size(); ++k) {
    const ChartSeries& s = series[k];
    std::ostringstream points;
    for (size_t i = 0; i < n && i < s.values.size(); ++i) {
      if (std::isfinite(s.values[i])) points << x_at(i) << "," << y_at(s.values[i]) << " ";
    }
    const std::string dash = s.dashed ? " stroke-dasharray=\"5,4\"" : "";
    svg << "<polyline fill=\"none\" stroke=\"" << escape_html(s.color) << "\" stroke-width=\"2\""
        << dash << " points=\"" << points.str() << "\"/>\n";
    for (size_t i = 0; i < n && i < s.values.size(); ++i) {
      if (!std::isfinite(s.values[i])) continue;
      svg << "<circle cx=\"" << x_at(i) << "\" cy=\"" << y_at(s.values[i]) << "\" r=\"3\" fill=\""
          << escape_html(s.color) << "\"><title>" << escape_html(s.name) << " @ "
          << escape_html(x_labels[i]) << ": " << number(s.values[i]) << "</title></circle>\n";
    }
    const LegendSpot& at = legend[k];
    svg << "<line x1=\"" << at.x << "\" x2=\"" << at.x + 18 << "\" y1=\"" << at.y - 4 << "\" y2=\""
        << at.y - 4 << "\" stroke=\"" << escape_html(s.color) << "\" stroke-width=\"2\"" << dash
        << "/>\n";
    svg << "<text x=\"" << at.x + 22 << "\" y=\"" << at.y << "\">" << escape_html(s.name)
        << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace mamba::bench
