#include "backup/recovery_key.hpp"

#include <sodium.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "core/qr_svg.hpp"
#include "core/text.hpp"
#include "crypto/encoding.hpp"

namespace praxis::backup {

using core::ErrorCode;

namespace {

constexpr std::size_t kChecksumBytes = 3;
constexpr std::size_t kPrintedChars = 56;  // (32 + 3) bytes * 8 / 5
constexpr std::size_t kGroup = 4;

std::array<std::uint8_t, kChecksumBytes> checksum(std::span<const std::uint8_t> secret) {
  static constexpr std::string_view kContext = "praxis recovery key v1";
  std::array<std::uint8_t, kChecksumBytes> out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kContext.data()),
                            kContext.size());
  crypto_generichash_update(&state, secret.data(), secret.size());
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

}  // namespace

RecipientKey public_half(const crypto::SecretKey& secret) {
  RecipientKey pk{};
  crypto_scalarmult_base(pk.data(), secret.data());
  return pk;
}

RecoveryKey generate_recovery_key() {
  crypto::init_sodium();
  auto secret = crypto::SecretKey::generate(
      [](std::uint8_t* out) { randombytes_buf(out, crypto::kKeyBytes); });
  const auto pk = public_half(secret);
  return RecoveryKey{std::move(secret), pk};
}

std::string format_recovery_key(const crypto::SecretKey& secret) {
  std::vector<std::uint8_t> raw(secret.bytes().begin(), secret.bytes().end());
  const auto sum = checksum(secret.bytes());
  raw.insert(raw.end(), sum.begin(), sum.end());
  std::string plain = crypto::base32_encode(raw, /*pad=*/false);
  sodium_memzero(raw.data(), raw.size());
  std::string out;
  for (std::size_t i = 0; i < plain.size(); i += kGroup) {
    if (i != 0) out += '-';
    out += plain.substr(i, kGroup);
  }
  sodium_memzero(plain.data(), plain.size());
  return out;
}

core::Result<RecoveryKey> parse_recovery_key(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c == '-' || c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    compact += c;
  }
  struct Wipe {
    std::string& s;
    ~Wipe() { sodium_memzero(s.data(), s.size()); }
  } wipe{compact};
  if (compact.size() != kPrintedChars) {
    return core::fail(ErrorCode::invalid_input,
                      "a recovery key has 56 characters in 14 groups of four; this one has " +
                          std::to_string(compact.size()));
  }
  auto raw = crypto::base32_decode(compact);
  if (!raw || raw->size() != crypto::kKeyBytes + kChecksumBytes) {
    return core::fail(ErrorCode::invalid_input,
                      "the recovery key contains characters other than A-Z and 2-7");
  }
  const std::span<const std::uint8_t> bytes(raw->data(), crypto::kKeyBytes);
  const auto expected = checksum(bytes);
  const bool ok =
      sodium_memcmp(expected.data(), raw->data() + crypto::kKeyBytes, kChecksumBytes) == 0;
  if (!ok) {
    sodium_memzero(raw->data(), raw->size());
    return core::fail(ErrorCode::invalid_input,
                      "the recovery key's checksum does not match: a group was mistyped");
  }
  auto secret = crypto::SecretKey::from_bytes(
      std::span<const std::uint8_t, crypto::kKeyBytes>(raw->data(), crypto::kKeyBytes));
  sodium_memzero(raw->data(), raw->size());
  const auto pk = public_half(secret);
  return RecoveryKey{std::move(secret), pk};
}

core::Result<RecoveryKey> read_recovery_key_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return core::fail(ErrorCode::invalid_input,
                      "cannot read the recovery key file " + file.string());
  }
  std::string text, line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() == '#') continue;
    text += line;
    text += '\n';
  }
  auto key = parse_recovery_key(text);
  sodium_memzero(text.data(), text.size());
  sodium_memzero(line.data(), line.size());
  if (!key) {
    return core::fail(ErrorCode::invalid_input, file.string() + ": " + key.error().message);
  }
  return key;
}

core::Result<std::string> recovery_sheet_svg(std::string_view printed,
                                             std::string_view installation_id,
                                             std::string_view created_at) {
  auto qr = core::qr_svg(printed);
  if (!qr) return tl::unexpected(qr.error());
  // Place the standalone QR image inside the page: give its root element a position.
  const std::string root = "<svg xmlns=\"http://www.w3.org/2000/svg\"";
  if (qr->rfind(root, 0) != 0) {
    return core::fail(ErrorCode::internal, "unexpected QR code image");
  }
  const std::string qr_placed =
      "<svg x=\"140\" y=\"430\" width=\"140\" height=\"140\"" + qr->substr(root.size());

  // Groups in two lines of seven.
  std::vector<std::string> groups;
  for (std::size_t i = 0; i < printed.size(); i += 5) groups.emplace_back(printed.substr(i, 4));
  std::string line1, line2;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::string& line = i < 7 ? line1 : line2;
    if (!line.empty()) line += "  ";
    line += groups[i];
  }

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" "
         "viewBox=\"0 0 420 594\" font-family=\"DejaVu Sans, Liberation Sans, sans-serif\">\n"
      << "<rect width=\"420\" height=\"594\" fill=\"#fff\"/>\n"
      << "<text x=\"30\" y=\"50\" font-size=\"18\" font-weight=\"bold\">praxis – "
         "Wiederherstellungsschlüssel</text>\n"
      << "<text x=\"30\" y=\"68\" font-size=\"10\" fill=\"#444\">Recovery key for the "
         "backups of this installation</text>\n"
      << "<text x=\"30\" y=\"95\" font-size=\"8\" fill=\"#444\">Installation "
      << core::markup_escaped(installation_id) << " · erstellt / created "
      << core::markup_escaped(created_at) << "</text>\n"
      << "<text font-size=\"9\">\n"
      << "<tspan x=\"30\" y=\"125\">Nur mit diesem Schlüssel lassen sich die Sicherungen "
         "der Praxis lesen und</tspan>\n"
      << "<tspan x=\"30\" y=\"138\">wiederherstellen. Der Server kennt ihn nicht. "
         "Drucken Sie dieses Blatt aus,</tspan>\n"
      << "<tspan x=\"30\" y=\"151\">bewahren Sie es offline und verschlossen auf (z. B. im "
         "Tresor) und löschen Sie</tspan>\n"
      << "<tspan x=\"30\" y=\"164\">danach die Datei. Geht er verloren, sind alle "
         "Sicherungen unlesbar.</tspan>\n"
      << "<tspan x=\"30\" y=\"188\" fill=\"#444\">Only this key reads and restores the "
         "practice's backups; the server does</tspan>\n"
      << "<tspan x=\"30\" y=\"200\" fill=\"#444\">not keep it. Print this sheet, keep it "
         "offline and locked away, then delete</tspan>\n"
      << "<tspan x=\"30\" y=\"212\" fill=\"#444\">the file. If it is lost, every backup is "
         "unreadable.</tspan>\n"
      << "</text>\n"
      << "<rect x=\"25\" y=\"240\" width=\"370\" height=\"90\" fill=\"none\" stroke=\"#000\" "
         "stroke-width=\"1\"/>\n"
      << "<text font-family=\"DejaVu Sans Mono, Liberation Mono, monospace\" font-size=\"14\" "
         "font-weight=\"bold\">\n"
      << "<tspan x=\"40\" y=\"278\">" << line1 << "</tspan>\n"
      << "<tspan x=\"40\" y=\"306\">" << line2 << "</tspan>\n"
      << "</text>\n"
      << "<text font-size=\"9\">\n"
      << "<tspan x=\"30\" y=\"360\">Wiederherstellen / restore:</tspan>\n"
      << "<tspan x=\"30\" y=\"376\" font-family=\"DejaVu Sans Mono, monospace\" "
         "font-size=\"7.5\">praxis backup restore DATEI --recovery-key SCHLÜSSELDATEI "
         "--data NEUES_VERZEICHNIS</tspan>\n"
      << "<tspan x=\"30\" y=\"396\">Die Schlüsseldatei enthält die 14 Gruppen oben "
         "(Bindestriche egal).</tspan>\n"
      << "<tspan x=\"30\" y=\"409\" fill=\"#444\">The key file holds the 14 groups above "
         "(hyphens and spaces do not matter).</tspan>\n"
      << "</text>\n"
      << qr_placed << "\n"
      << "</svg>\n";
  return svg.str();
}

std::string recipient_to_text(const RecipientKey& key) { return crypto::base64_encode(key); }

core::Result<RecipientKey> recipient_from_text(std::string_view text) {
  auto raw = crypto::base64_decode(text);
  if (!raw || raw->size() != RecipientKey{}.size()) {
    return core::fail(ErrorCode::invalid_input, "the stored backup recipient key is damaged");
  }
  RecipientKey key{};
  std::copy(raw->begin(), raw->end(), key.begin());
  return key;
}

}  // namespace praxis::backup
