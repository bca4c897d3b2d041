#include "core/qr_svg.hpp"

#include <qrencode.h>

#include <memory>

namespace praxis::core {

Result<std::string> qr_svg(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) {
    return fail(ErrorCode::invalid_input, "Text passt nicht in einen QR-Code. / Text too long.",
                "QRcode_encodeString failed");
  }
  constexpr int kQuiet = 4;
  const int width = code->width;
  const int size = width + 2 * kQuiet;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR-Code\">"
                    "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      // Bit 0 of each byte is the module's colour (1 = dark).
      if ((code->data[y * width + x] & 1) == 0) continue;
      int run = 1;
      while (x + run < width && (code->data[y * width + x + run] & 1)) ++run;
      svg += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run - 1;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace praxis::core
