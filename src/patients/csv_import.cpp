#include "patients/csv_import.hpp"

#include <csv.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <sstream>

#include "core/text.hpp"

namespace praxis::patients {

namespace json = boost::json;
using core::ErrorCode;

namespace {

constexpr std::array<std::string_view, 24> kColumns = {"family_name",   "given_names",
                                                       "birth_date",    "sex",
                                                       "title",         "name_prefix",
                                                       "name_suffix",   "street",
                                                       "postcode",      "city",
                                                       "country",       "phone_mobile",
                                                       "phone_home",    "phone_work",
                                                       "email",         "insurance_kind",
                                                       "insurer_name",  "ik",
                                                       "kvnr",          "language",
                                                       "note",          "email_reminders",
                                                       "sms_reminders", "phone_other"};

std::string latin1_to_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (u >> 6)));
      out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
    }
  }
  return out;
}

// libcsv hands over fields and row ends through callbacks.
struct Collector {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> current;
  std::vector<std::size_t> lines;  // the physical line each row started on
  std::size_t line = 1;
  std::size_t row_start = 1;
};

void on_field(void* data, std::size_t len, void* ctx) {
  auto* c = static_cast<Collector*>(ctx);
  if (c->current.empty()) c->row_start = c->line;
  c->current.emplace_back(static_cast<const char*>(data), len);
}

void on_row(int, void* ctx) {
  auto* c = static_cast<Collector*>(ctx);
  c->rows.push_back(std::move(c->current));
  c->lines.push_back(c->row_start);
  c->current.clear();
}

std::optional<bool> yes_no(std::string_view v) {
  std::string s(v);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (s == "ja" || s == "yes" || s == "true" || s == "1" || s == "j" || s == "x") return true;
  if (s == "nein" || s == "no" || s == "false" || s == "0" || s == "n" || s.empty()) return false;
  return std::nullopt;
}

// DD.MM.YYYY → YYYY-MM-DD; anything else is left for validation to judge.
std::string iso_date(const std::string& v) {
  if (v.size() == 10 && v[2] == '.' && v[5] == '.') {
    return v.substr(6, 4) + "-" + v.substr(3, 2) + "-" + v.substr(0, 2);
  }
  return v;
}

std::string csv_escape(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

core::Result<ImportSummary> import_csv(PatientService& service, const audit::Context& context,
                                       std::string_view practice_id,
                                       const std::filesystem::path& file,
                                       const ImportOptions& options,
                                       const ImportProgress& progress) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return core::fail(ErrorCode::not_found, "cannot read " + file.string());
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  ImportSummary summary;
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  const bool utf8 = options.encoding == CsvEncoding::utf8 ||
                    (options.encoding == CsvEncoding::automatic && core::valid_utf8(text));
  if (options.encoding == CsvEncoding::utf8 && !core::valid_utf8(text)) {
    return core::fail(ErrorCode::invalid_input,
                      file.string() + " is not valid UTF-8; try --encoding iso-8859-1");
  }
  if (!utf8) text = latin1_to_utf8(text);
  summary.encoding = utf8 ? "UTF-8" : "ISO-8859-1";

  const auto first_line = text.substr(0, text.find('\n'));
  const unsigned char delimiter = std::count(first_line.begin(), first_line.end(), ';') >=
                                          std::count(first_line.begin(), first_line.end(), ',')
                                      ? ';'
                                      : ',';
  csv_parser parser;
  if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
    return core::fail(ErrorCode::internal, "", "csv_init failed");
  }
  csv_set_delim(&parser, delimiter);
  Collector collector;
  // Feed line by line so row numbers in the report match the file.
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size() - 1;
    const std::size_t len = end - pos + 1;
    if (csv_parse(&parser, text.data() + pos, len, on_field, on_row, &collector) != len) {
      const std::string error = csv_strerror(csv_error(&parser));
      csv_free(&parser);
      return core::fail(ErrorCode::invalid_input,
                        file.string() + ":" + std::to_string(collector.line) + ": " + error);
    }
    ++collector.line;
    pos = end + 1;
  }
  csv_fini(&parser, on_field, on_row, &collector);
  csv_free(&parser);
  if (collector.rows.empty()) {
    return core::fail(ErrorCode::invalid_input, file.string() + " is empty");
  }

  // The header: every column known, family_name, given_names and birth_date present.
  std::vector<std::string> header = collector.rows.front();
  std::vector<std::string> unknown;
  for (auto& h : header) {
    h = std::string(core::normalize_email(h));  // trim and lower-case
    if (std::find(kColumns.begin(), kColumns.end(), h) == kColumns.end()) unknown.push_back(h);
  }
  for (auto required : {"family_name", "given_names", "birth_date"}) {
    if (std::find(header.begin(), header.end(), required) == header.end()) {
      return core::fail(ErrorCode::invalid_input,
                        file.string() + ": the header has no column " + required);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const auto& u : unknown) names += (names.empty() ? "" : ", ") + u;
    return core::fail(ErrorCode::invalid_input,
                      file.string() + ": unknown column(s): " + names +
                          " (see docs/operations.md, \"Importing patients\")");
  }

  summary.report = options.report.empty() ? std::filesystem::path(file.string() + ".report.csv")
                                          : options.report;
  struct Rejection {
    std::size_t line;
    core::FieldError error;
  };
  std::vector<Rejection> rejections;

  const std::size_t total = collector.rows.size() - 1;
  std::vector<ImportRow> batch;
  auto flush = [&]() -> core::Result<void> {
    if (batch.empty()) return {};
    auto results = service.import_batch(context, practice_id, batch);
    if (!results) return tl::unexpected(results.error());
    for (const auto& r : *results) {
      switch (r.kind) {
        case ImportResult::Kind::created:
          ++summary.created;
          break;
        case ImportResult::Kind::already_present:
          ++summary.already_present;
          break;
        case ImportResult::Kind::rejected:
          ++summary.rejected;
          for (const auto& e : r.errors) rejections.push_back({r.line, e});
          break;
      }
    }
    summary.rows += batch.size();
    batch.clear();
    if (progress) progress(summary.rows, total);
    return {};
  };

  for (std::size_t i = 1; i < collector.rows.size(); ++i) {
    const auto& fields = collector.rows[i];
    std::map<std::string, std::string> v;
    for (std::size_t c = 0; c < header.size() && c < fields.size(); ++c) v[header[c]] = fields[c];
    json::object o;
    for (auto name : {"family_name", "given_names", "sex", "title", "name_prefix", "name_suffix",
                      "email", "language", "note"}) {
      if (!v[name].empty()) o[name] = v[name];
    }
    o["birth_date"] = iso_date(v["birth_date"]);
    json::object address;
    for (auto name : {"street", "postcode", "city", "country"}) {
      if (!v[name].empty()) address[name] = v[name];
    }
    if (!address.empty()) o["address"] = std::move(address);
    json::array phones;
    for (auto [column, kind] :
         {std::pair{"phone_mobile", "mobile"}, std::pair{"phone_home", "home"},
          std::pair{"phone_work", "work"}, std::pair{"phone_other", "other"}}) {
      if (!v[column].empty()) phones.push_back(json::object{{"kind", kind}, {"number", v[column]}});
    }
    if (!phones.empty()) o["phones"] = std::move(phones);
    json::object insurance;
    if (!v["insurance_kind"].empty()) insurance["kind"] = v["insurance_kind"];
    for (auto name : {"insurer_name", "ik", "kvnr"}) {
      if (!v[name].empty()) insurance[name] = v[name];
    }
    if (!insurance.empty()) o["insurance"] = std::move(insurance);
    json::object consents;
    std::vector<core::FieldError> early;
    for (auto name : {"email_reminders", "sms_reminders"}) {
      auto given = yes_no(v[name]);
      if (!given) {
        early.push_back({name, "invalid", "ja oder nein / yes or no"});
      } else if (*given) {
        consents[name] = json::object{{"given", true}};
      }
    }
    if (!consents.empty()) o["consents"] = std::move(consents);
    if (fields.size() != header.size()) {
      early.push_back({"row", "columns",
                       "Die Zeile hat " + std::to_string(fields.size()) + " statt " +
                           std::to_string(header.size()) + " Spalten. / Wrong number of columns."});
    }
    if (!early.empty()) {
      ++summary.rejected;
      ++summary.rows;
      for (auto& e : early) rejections.push_back({collector.lines[i], std::move(e)});
      continue;
    }
    batch.push_back({collector.lines[i], std::move(o)});
    if (batch.size() >= options.batch_size) {
      if (auto r = flush(); !r) return tl::unexpected(r.error());
    }
  }
  if (auto r = flush(); !r) return tl::unexpected(r.error());
  std::stable_sort(rejections.begin(), rejections.end(),
                   [](const Rejection& a, const Rejection& b) { return a.line < b.line; });
  std::ofstream report(summary.report, std::ios::trunc);
  report << "line;field;code;message\n";
  for (const auto& r : rejections) {
    report << r.line << ";" << r.error.field << ";" << r.error.code << ";"
           << csv_escape(r.error.message) << "\n";
  }
  report.close();
  if (!report) return core::fail(ErrorCode::unavailable, "cannot write " + summary.report.string());
  return summary;
}

}  // namespace praxis::patients
