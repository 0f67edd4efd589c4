#include "adapters/console_page.h"

namespace kezek::console {

std::string PageWithData(std::string_view json) {
  std::string script = "window.KEZEK_DATA = ";
  script.reserve(json.size() + 64);
  for (const char c : json) {
    if (c == '<') {
      script += "\\u003c";
    } else {
      script += c;
    }
  }
  script += ";";
  const std::string_view page = Page();
  const size_t at = page.find(kDataMark);
  std::string out(page.substr(0, at));
  out += script;
  out += page.substr(at + kDataMark.size());
  return out;
}

}  // namespace kezek::console
