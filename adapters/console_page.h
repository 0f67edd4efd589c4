// The auditors' console: one self-contained HTML page (console/, bundled with uPlot at build time
// by scripts/console-bundle.py; docs/audit.md, "The console"). `kezek serve` answers it at
// GET /console; `kezek stats --html` writes it with the data in place of kDataMark.
#pragma once

#include <string>
#include <string_view>

namespace kezek::console {

// The page, UTF-8.
std::string_view Page();
// Where a static page's data goes: replaced by "window.KEZEK_DATA = {...};".
inline constexpr std::string_view kDataMark = "/*KEZEK_DATA*/";
// The page with `json` (an object: {"statistics": ..., "chain": ...}) inside it. Every '<' of the
// JSON is written \u003c, so no text of the data can close the script.
std::string PageWithData(std::string_view json);

}  // namespace kezek::console
